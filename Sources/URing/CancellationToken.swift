import Synchronization

/// Marks one submitted operation (or batch) as cancelled by its task.
///
/// The task's cancellation handler sets the flag, then posts the token to the
/// ring. The ring reads the flag before submitting and, when the message
/// arrives, cancels whatever is still in the kernel under this token. Whatever
/// the interleaving, either the submission sees the flag or the message finds
/// the submission.
final class CancellationToken: Sendable {
    private let cancelled = Atomic<Bool>(false)

    var isCancelled: Bool { cancelled.load(ordering: .acquiring) }

    func cancel() { cancelled.store(true, ordering: .releasing) }
}
