import Dispatch
import Synchronization

/// Work for a fixed set of threads: jobs may add more jobs, and the queue
/// is finished when every job added has been done. Last in, first out, so a
/// directory's entries are copied soon after it is listed and few listed
/// directories wait with their descriptors open.
final class JobQueue<Job: Sendable>: Sendable {
    private struct State {
        var jobs: [Job] = []
        /// Jobs added and not yet done (waiting or running).
        var outstanding = 0
        var finished = false
    }
    private let state = Mutex(State())
    /// One signal per job added, and one per thread when the queue finishes.
    private let available = DispatchSemaphore(value: 0)
    private let threads: Int

    init(threads: Int) { self.threads = threads }

    func add(_ jobs: [Job]) {
        guard !jobs.isEmpty else { return }
        let accepted = state.withLock { state in
            guard !state.finished else { return false }
            state.jobs.append(contentsOf: jobs)
            state.outstanding += jobs.count
            return true
        }
        if accepted { for _ in jobs { available.signal() } }
    }

    /// The next job, waiting for one; nil once the queue is finished.
    func next() -> Job? {
        while true {
            available.wait()
            let (job, finished): (Job?, Bool) = state.withLock { ($0.jobs.popLast(), $0.finished) }
            if let job { return job }
            if finished { return nil }
        }
    }

    /// Called once for each job `next` returned, when it is done.
    func done() {
        let finishedNow = state.withLock { state in
            state.outstanding -= 1
            guard state.outstanding == 0, !state.finished else { return false }
            state.finished = true
            return true
        }
        if finishedNow { for _ in 0..<threads { available.signal() } }
    }

    /// Drops the jobs not started; the queue finishes when the running ones are done.
    func cancelWaiting() {
        let finishedNow = state.withLock { state in
            state.outstanding -= state.jobs.count
            state.jobs.removeAll()
            guard state.outstanding == 0, !state.finished else { return false }
            state.finished = true
            return true
        }
        if finishedNow { for _ in 0..<threads { available.signal() } }
    }
}
