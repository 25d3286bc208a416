import Dispatch
import Synchronization

/// Work for a fixed set of threads: jobs may add more jobs, and the queue
/// is finished when every job added has been done. Last in, first out, so a
/// directory's entries are copied soon after it is listed and few listed
/// directories wait with their descriptors open.
///
/// A job may have a place (for the copy, the directory it fills). Among the
/// last `lookahead` jobs, a thread is given one whose place no other thread
/// is working in, if there is one: two threads creating entries in one
/// directory queue on its lock.
final class JobQueue<Job: Sendable>: Sendable {
    private struct State {
        /// Each with its place, worked out once: choosing reads the places
        /// of up to `lookahead` jobs, and copying a job out to ask costs
        /// retains and releases of everything it holds.
        var jobs: [(job: Job, place: Int32?)] = []
        /// Jobs added and not yet done (waiting or running).
        var outstanding = 0
        var finished = false
        /// Jobs running, by place.
        var busy: [Int32: Int] = [:]
    }
    private let state = Mutex(State())
    /// One signal per job added, and one per thread when the queue finishes.
    private let available = DispatchSemaphore(value: 0)
    private let threads: Int
    private let place: @Sendable (Job) -> Int32?
    private static var lookahead: Int { 64 }

    init(threads: Int, place: @escaping @Sendable (Job) -> Int32? = { _ in nil }) {
        self.threads = threads
        self.place = place
    }

    func add(_ jobs: [Job]) {
        guard !jobs.isEmpty else { return }
        let accepted = state.withLock { state in
            guard !state.finished else { return false }
            state.jobs.append(contentsOf: jobs.lazy.map { (job: $0, place: self.place($0)) })
            state.outstanding += jobs.count
            return true
        }
        if accepted { for _ in jobs { available.signal() } }
    }

    /// The next job, waiting for one; nil once the queue is finished.
    func next() -> Job? {
        while true {
            available.wait()
            let (job, finished): (Job?, Bool) = state.withLock { state in
                guard !state.jobs.isEmpty else { return (nil, state.finished) }
                let (job, place) = state.jobs.remove(at: choice(in: state))
                if let place { state.busy[place, default: 0] += 1 }
                return (job, state.finished)
            }
            if let job { return job }
            if finished { return nil }
        }
    }

    /// The last job whose place is free, among the last `lookahead`; else the last.
    private func choice(in state: State) -> Int {
        let last = state.jobs.count - 1
        for candidate in stride(from: last, through: max(0, last - Self.lookahead + 1), by: -1) {
            guard let place = state.jobs[candidate].place else { return candidate }
            if state.busy[place, default: 0] == 0 { return candidate }
        }
        return last
    }

    /// Called once for each job `next` returned, when it is done.
    func done(_ job: Job) {
        let place = place(job)
        let finishedNow = state.withLock { state in
            if let place {
                state.busy[place, default: 1] -= 1
                if state.busy[place] == 0 { state.busy[place] = nil }
            }
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
