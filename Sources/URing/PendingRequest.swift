/// What a finished operation hands back: one result per entry of its chain.
///
/// Held inline (a chain has at most `ChainResult.capacity` entries), so that
/// a batch of many chains allocates nothing per chain.
public struct ChainResult: Sendable {
    /// Most entries a chain can report.
    public static let capacity = 8
    private var values: (Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32) = (0, 0, 0, 0, 0, 0, 0, 0)
    /// Bit k set when entry k posted a completion.
    private var reported: UInt8 = 0
    /// Entries in the chain.
    public let count: Int

    /// A chain of `count` entries, none reported yet.
    init(count: Int) {
        precondition(count <= Self.capacity, "a chain has at most ChainResult.capacity entries")
        self.count = count
    }

    public init(results: [Int32?]) {
        self.init(count: results.count)
        for (step, result) in results.enumerated() { self[step] = result }
    }

    /// Entry `step`'s raw kernel result (`-errno` on failure); `nil` for an
    /// entry that succeeded with `skippingSuccess()` and so posted no completion.
    public subscript(step: Int) -> Int32? {
        get {
            guard reported & (1 << step) != 0 else { return nil }
            return withUnsafeBytes(of: values) { $0.load(fromByteOffset: 4 * step, as: Int32.self) }
        }
        set {
            precondition(step < count, "step out of the chain")
            guard let newValue else {
                reported &= ~(1 << step)
                return
            }
            reported |= 1 << step
            withUnsafeMutableBytes(of: &values) { $0.storeBytes(of: newValue, toByteOffset: 4 * step, as: Int32.self) }
        }
    }

    /// Every entry's result, in order.
    public var results: [Int32?] { (0..<count).map { self[$0] } }

    /// The result of the last entry: the one every chain always reports.
    public var last: Int32 { count > 0 ? self[count - 1] ?? 0 : 0 }

    /// The first failure in the chain, as a positive errno, if any entry failed.
    public var firstError: (index: Int, errno: Int32)? {
        for index in 0..<count {
            if let result = self[index], result < 0 { return (index, -result) }
        }
        return nil
    }
}

/// Collects the chains of one batch; resumed when the last one completes.
/// Mutated only on the owner thread of the ring the batch was submitted to.
final class BatchCollector: @unchecked Sendable {
    var results: [ChainResult]
    var remaining: Int
    let continuation: UnsafeContinuation<[ChainResult], Never>

    init(count: Int, continuation: UnsafeContinuation<[ChainResult], Never>) {
        results = Array(repeating: ChainResult(count: 0), count: count)
        remaining = count
        self.continuation = continuation
    }

    func finish(_ index: Int, with result: ChainResult) {
        results[index] = result
        remaining -= 1
        if remaining == 0 { continuation.resume(returning: results) }
    }
}

/// An operation on its way to the kernel, with who to tell when it is done.
struct PendingRequest: Sendable {
    enum Completion: Sendable {
        case single(UnsafeContinuation<Int32, Never>)
        case chain(UnsafeContinuation<ChainResult, Never>)
        case batchMember(BatchCollector, Int)
    }

    /// One entry, or a chain: a single operation allocates no array, and
    /// the chains of a batch share one.
    enum Entries: Sendable {
        case single(SubmissionEntry)
        case chain(ArraySlice<SubmissionEntry>)

        var count: Int {
            switch self {
            case .single: 1
            case .chain(let entries): entries.count
            }
        }

        subscript(step: Int) -> SubmissionEntry {
            switch self {
            case .single(let entry): entry
            case .chain(let entries): entries[entries.startIndex + step]
            }
        }

        var usesChainSlot: Bool {
            switch self {
            case .single(let entry): entry.slotUse != .none
            case .chain(let entries): entries.contains { $0.slotUse != .none }
            }
        }
    }

    var entries: Entries
    var completion: Completion
    var token: CancellationToken?

    var usesChainSlot: Bool { entries.usesChainSlot }

    /// Completes without ever reaching the kernel, every entry reporting `result`.
    func complete(withoutSubmitting result: Int32) {
        Self.deliver(completion, last: result) {
            var chain = ChainResult(count: entries.count)
            for step in 0..<entries.count { chain[step] = result }
            return chain
        }
    }

    /// Resumes whoever waits. `last` is the last entry's result; the whole
    /// chain's results are built only for callers that asked for a chain.
    static func deliver(_ completion: Completion, last: Int32, chain: () -> ChainResult) {
        switch completion {
        case .single(let continuation): continuation.resume(returning: last)
        case .chain(let continuation): continuation.resume(returning: chain())
        case .batchMember(let collector, let index): collector.finish(index, with: chain())
        }
    }
}
