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
    /// Threads started so far.
    var startedThreads: Int { state.withLock { $0.threads } }

    /// Starts no thread: threads start as jobs find every thread busy, so a
    /// pool nobody gives work (the io_uring backend's, in a run that lists
    /// no directory, such as hashing one file) costs none. Starting all of
    /// them made hashing one large file start four it never used.
    init(threads: Int) {
        threadCount = max(1, threads)
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
            do {
                try startThread(index: newThread)
            } catch {
                // A thread that cannot start leaves the pool smaller; with no
                // thread at all, nobody would run the jobs queued: run them here.
                let stranded: [Job] = state.withLock { state in
                    state.threads -= 1
                    return state.threads == 0 ? state.jobs.takeAll() : []
                }
                for job in stranded { job.run(job.token?.isCancelled ?? false) }
            }
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

    /// Every element, first first; the queue is left empty.
    mutating func takeAll() -> [Element] {
        defer {
            storage.removeAll(keepingCapacity: true)
            head = 0
        }
        return Array(storage[head...])
    }

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
