import Dispatch
import Synchronization
import Testing

@testable import FSRing

/// Counts the jobs that reached a meeting point, shared by the pool's threads.
private final class Arrivals: Sendable {
    let count = Atomic<Int>(0)
    let together = DispatchSemaphore(value: 0)
}

@Suite("Blocking pool")
struct BlockingPoolTests {
    @Test func threadsStartOnlyWhenWorkNeedsThem() async {
        let pool = BlockingPool(threads: 3)
        #expect(pool.startedThreads == 0)
        #expect(await pool.run { 6 * 7 } == 42)
        #expect(pool.startedThreads == 1)

        // Three jobs that each wait for the other two: they all finish in
        // time only if the pool runs the three at once.
        let arrivals = Arrivals()
        let met = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    await pool.run {
                        if arrivals.count.add(1, ordering: .relaxed).newValue == 3 {
                            arrivals.together.signal()
                            arrivals.together.signal()
                            return true
                        }
                        return arrivals.together.wait(timeout: .now() + 10) == .success
                    }
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(met == 3)
        #expect(pool.startedThreads == 3)
        // Never more than asked for.
        #expect(await pool.run { true })
        #expect(pool.startedThreads == 3)
    }
}
