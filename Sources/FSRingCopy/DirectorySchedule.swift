import FSRingHash
import Synchronization
import SystemPackage

/// The order in which copied directories get their metadata, shared by the
/// finishing threads. A directory's turn comes once every directory inside
/// it has had its own: one made unsearchable first would bar the way to
/// them by path. Directories apart from each other do not wait for each
/// other, so several threads set them at once (one thread took 33-50 ms for
/// the Linux tree's 5,096 directories, a few percent of the copy, while the
/// other core idled).
final class DirectorySchedule: Sendable {
    let finishes: [DirectoryFinish]
    /// How many threads share the work.
    let threads: Int
    /// The finish of the directory each one lies in, when that was copied too.
    private let enclosing: [Int?]
    /// For each directory, how many directories inside it still wait.
    private let waitingInside: Mutex<[Int]>
    private let ready: JobQueue<Int>

    /// Directories per thread below which another thread costs more than it saves.
    private static let directoriesPerThread = 128

    /// Nil when there is nothing to finish.
    init?(_ finishes: [DirectoryFinish], maximumThreads: Int) {
        guard !finishes.isEmpty else { return nil }
        self.finishes = finishes
        let paths = finishes.map(\.destination.rawBytes)
        let byDestination = Dictionary(paths.indices.map { (paths[$0], $0) }, uniquingKeysWith: { first, _ in first })
        let enclosing = paths.map { path in PathBytes.split(path).flatMap { byDestination[$0.parent] } }
        var waiting = Array(repeating: 0, count: finishes.count)
        for case let parent? in enclosing { waiting[parent] += 1 }
        self.enclosing = enclosing
        waitingInside = Mutex(waiting)
        threads = max(1, min(maximumThreads, finishes.count / Self.directoriesPerThread))
        ready = JobQueue(threads: threads)
        // Paths only get longer inside a directory, so some directory
        // always has none inside it waiting, and the queue is never empty
        // while work remains.
        ready.add(finishes.indices.filter { waiting[$0] == 0 })
    }

    /// The next directory whose turn has come, waiting for one; nil once every one is done.
    func next() -> Int? { ready.next() }

    /// Records that a directory has its metadata, which may give the one
    /// enclosing it its turn.
    func done(_ index: Int) {
        if let parent = enclosing[index] {
            let parentIsReady = waitingInside.withLock { waiting in
                waiting[parent] -= 1
                return waiting[parent] == 0
            }
            // Queued before this one is marked done, so the queue cannot
            // finish in between.
            if parentIsReady { ready.add([parent]) }
        }
        ready.done(index)
    }
}
