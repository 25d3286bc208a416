internal import CURing

#if canImport(Glibc)
    import Glibc
#endif

/// A plain pthread that runs one closure for as long as it likes.
///
/// Ring threads must never exit while the runtime lives: io_uring cancels a
/// request whose submitting thread exits (DESIGN.md, "Ring threads that never
/// exit"). Swift's cooperative pool and Dispatch retire idle threads, so the
/// runtime owns its threads outright.
public struct PersistentThread: Sendable {
    /// The thread, as `pthread_self()` names it on the thread itself.
    let handle: pthread_t

    /// The thread could not be created (the errno pthread_create returned).
    public struct SpawnError: Error, CustomStringConvertible {
        public let code: Int32
        public var description: String { "cannot create thread: \(ErrnoName.describe(code))" }
    }

    /// Starts a thread named `name` (cut to the kernel's 15 bytes) running `body`.
    public static func spawn(
        name: String, _ body: @escaping @Sendable () -> Void
    ) throws(SpawnError) -> PersistentThread {
        final class Start: Sendable {
            let name: String
            let body: @Sendable () -> Void
            init(name: String, body: @escaping @Sendable () -> Void) {
                self.name = name
                self.body = body
            }
        }
        let start = Unmanaged.passRetained(Start(name: name, body: body)).toOpaque()
        var handle = pthread_t()
        let status = pthread_create(
            &handle, nil,
            { argument in
                // Balanced with passRetained above: the thread owns the one reference.
                let start = Unmanaged<Start>.fromOpaque(argument!).takeRetainedValue()
                _ = fsr_set_thread_name(String(start.name.utf8.prefix(15))!)
                start.body()
                return nil
            }, start)
        if status != 0 {
            Unmanaged<Start>.fromOpaque(start).release()
            throw SpawnError(code: status)
        }
        return PersistentThread(handle: handle)
    }

    /// Lets the thread release its resources by itself when its closure
    /// returns, for threads nobody joins.
    public func detach() {
        pthread_detach(handle)
    }

    /// Waits for the thread's closure to return.
    public func join() {
        pthread_join(handle, nil)
    }
}
