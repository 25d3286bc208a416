import Dispatch
import Synchronization
import URing

/// A few threads that run blocking system calls, so they never stall Swift's
/// cooperative pool or a ring thread. Used by the POSIX backend for
/// everything, and by the io_uring backend for getdents64.
final class BlockingPool: Sendable {
    private struct Job {
        let token: CancellationToken?
        let run: @Sendable (_ cancelled: Bool) -> Void
    }
    private struct State {
        var jobs = FIFOQueue<Job>()
        var threads = 0
        /// Threads waiting for a job (or about to, once woken).
        var idle = 0
    }
    private let state = Mutex(State())
    private let available = DispatchSemaphore(value: 0)
    /// The most threads the pool starts.
    let threadCount: Int

    /// Starts one thread; the others start as jobs find every thread busy.
    /// A pool nobody gives work (the io_uring backend's, in a run that lists
    /// no directory) then costs one thread, not `threads`: hashing one large
    /// file started 4 threads it never used.
    init(threads: Int) throws {
        threadCount = max(1, threads)
        state.withLock { $0.threads = 1 }
        try startThread(index: 0)
    }

    private func startThread(index: Int) throws(PersistentThread.SpawnError) {
        _ = try PersistentThread.spawn(name: "fsring-posix-\(index)") { [self] in
            while true {
                state.withLock { $0.idle += 1 }
                available.wait()
                let job: Job? = state.withLock { state in
                    state.idle -= 1
                    return state.jobs.popFirst()
                }
                guard let job else { continue }
                job.run(job.token?.isCancelled ?? false)
            }
        }
    }

    private func enqueue(_ job: Job) {
        let newThread: Int? = state.withLock { state in
            state.jobs.append(job)
            // More jobs waiting than threads waiting for them: one more thread.
            guard state.jobs.count > state.idle && state.threads < threadCount else { return nil }
            state.threads += 1
            return state.threads - 1
        }
        if let newThread {
            // The first thread always runs, so a thread that cannot start
            // only leaves the pool smaller.
            do { try startThread(index: newThread) } catch { state.withLock { $0.threads -= 1 } }
        }
        available.signal()
    }

    /// Runs `work` on a pool thread. A job cancelled before it starts does
    /// not run: `onCancel` provides its result instead.
    func run<Result: Sendable>(
        _ work: @escaping @Sendable () -> Result, onCancel: @escaping @Sendable () -> Result
    ) async -> Result {
        let token = CancellationToken()
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                enqueue(
                    Job(token: token) { cancelled in
                        continuation.resume(returning: cancelled ? onCancel() : work())
                    })
            }
        } onCancel: {
            token.cancel()
        }
    }

    /// Runs `work` on a pool thread; it is not cancellable once queued.
    func run<Result: Sendable>(_ work: @escaping @Sendable () -> Result) async -> Result {
        await withUnsafeContinuation { continuation in
            enqueue(Job(token: nil) { _ in continuation.resume(returning: work()) })
        }
    }
}

/// A first-in first-out queue with O(1) removal at the front.
struct FIFOQueue<Element> {
    private var storage: [Element] = []
    private var head = 0

    var count: Int { storage.count - head }

    mutating func append(_ element: Element) { storage.append(element) }

    mutating func popFirst() -> Element? {
        guard head < storage.count else { return nil }
        let element = storage[head]
        head += 1
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 1024 && head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return element
    }
}
