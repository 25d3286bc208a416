import Synchronization

/// Marks one operation (or batch) as cancelled by its task: the flag the
/// ring, the POSIX backend's thread pool and its poller all check.
///
/// For a ring: the task's cancellation handler sets the flag, then posts the
/// token to the ring. The ring reads the flag before submitting and, when the message
/// arrives, cancels whatever is still in the kernel under this token. Whatever
/// the interleaving, either the submission sees the flag or the message finds
/// the submission.
public final class CancellationToken: Sendable {
    private let cancelled = Atomic<Bool>(false)

    public init() {}

    public var isCancelled: Bool { cancelled.load(ordering: .acquiring) }

    public func cancel() { cancelled.store(true, ordering: .releasing) }
}
