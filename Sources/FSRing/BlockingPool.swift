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
    private let queue = Mutex(FIFOQueue<Job>())
    private let available = DispatchSemaphore(value: 0)
    let threadCount: Int

    init(threads: Int) throws {
        threadCount = threads
        for index in 0..<threads {
            _ = try PersistentThread.spawn(name: "fsring-posix-\(index)") { [self] in
                while true {
                    available.wait()
                    let job: Job? = queue.withLock { $0.popFirst() }
                    guard let job else { continue }
                    job.run(job.token?.isCancelled ?? false)
                }
            }
        }
    }

    /// Runs `work` on a pool thread. A job cancelled before it starts does
    /// not run: `onCancel` provides its result instead.
    func run<Result: Sendable>(
        _ work: @escaping @Sendable () -> Result, onCancel: @escaping @Sendable () -> Result
    ) async -> Result {
        let token = CancellationToken()
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                let job = Job(token: token) { cancelled in
                    continuation.resume(returning: cancelled ? onCancel() : work())
                }
                queue.withLock { $0.append(job) }
                available.signal()
            }
        } onCancel: {
            token.cancel()
        }
    }

    /// Runs `work` on a pool thread; it is not cancellable once queued.
    func run<Result: Sendable>(_ work: @escaping @Sendable () -> Result) async -> Result {
        await withUnsafeContinuation { continuation in
            queue.withLock { $0.append(Job(token: nil) { _ in continuation.resume(returning: work()) }) }
            available.signal()
        }
    }
}

/// A first-in first-out queue with O(1) removal at the front.
struct FIFOQueue<Element> {
    private var storage: [Element] = []
    private var head = 0

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
