import Synchronization

/// Hands out the numbers 0, 1, 2, ... below a limit to workers on any
/// thread, each number once: how a fixed set of workers share batches or
/// pieces of work.
public final class WorkCursor: Sendable {
    private let counter = Atomic<Int>(0)

    public init() {}

    /// The next number, or nil once `limit` is reached.
    public func next(below limit: Int) -> Int? {
        let value = counter.wrappingAdd(1, ordering: .relaxed).oldValue
        return value < limit ? value : nil
    }
}
