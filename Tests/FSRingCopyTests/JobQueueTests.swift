import Testing

@testable import FSRingCopy

@Suite("Copy: the job queue")
struct JobQueueTests {
    /// Jobs are (place, number); a thread is given the newest job whose
    /// place no other thread is working in, and the newest job when every
    /// place is taken.
    @Test func threadsAreSpreadOverPlaces() {
        let queue = JobQueue<[Int32]>(threads: 2) { $0[0] }
        queue.add([[1, 1], [1, 2], [2, 3], [1, 4], [1, 5]])
        let first = queue.next()
        #expect(first == [1, 5])  // last in, first out
        let second = queue.next()
        #expect(second == [2, 3])  // place 1 is busy: the newest job elsewhere
        let third = queue.next()
        #expect(third == [1, 4])  // every place busy: the newest job
        queue.done(first!)
        queue.done(second!)
        queue.add([[2, 6], [3, 7]])
        #expect(queue.next() == [3, 7])
        #expect(queue.next() == [2, 6])
        #expect(queue.next() == [1, 2])
        #expect(queue.next() == [1, 1])
    }

    @Test func theQueueFinishesWhenEveryJobIsDone() {
        let queue = JobQueue<[Int32]>(threads: 1) { $0[0] }
        queue.add([[1, 1]])
        let job = queue.next()
        #expect(job == [1, 1])
        queue.done(job!)
        #expect(queue.next() == nil)
    }
}
