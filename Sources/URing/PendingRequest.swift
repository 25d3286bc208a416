/// What a finished operation hands back: one result per entry of its chain.
public struct ChainResult: Sendable {
    /// Raw kernel results (`-errno` on failure); `nil` for an entry that
    /// succeeded with `skippingSuccess()` and so posted no completion.
    public var results: [Int32?]

    /// The result of the last entry: the one every chain always reports.
    public var last: Int32 { results.last.flatMap { $0 } ?? 0 }

    /// The first failure in the chain, as a positive errno, if any entry failed.
    public var firstError: (index: Int, errno: Int32)? {
        for (index, result) in results.enumerated() {
            if let result, result < 0 { return (index, -result) }
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
        results = Array(repeating: ChainResult(results: []), count: count)
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

    /// One entry, or a chain: a single operation allocates no array.
    enum Entries: Sendable {
        case single(SubmissionEntry)
        case chain([SubmissionEntry])

        var count: Int {
            switch self {
            case .single: 1
            case .chain(let entries): entries.count
            }
        }

        subscript(step: Int) -> SubmissionEntry {
            switch self {
            case .single(let entry): entry
            case .chain(let entries): entries[step]
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
        Self.deliver(completion, last: result) { Array(repeating: result, count: entries.count) }
    }

    /// Resumes whoever waits. `last` is the last entry's result; the whole
    /// chain's results are built only for callers that asked for a chain.
    static func deliver(_ completion: Completion, last: Int32, chain: () -> [Int32?]) {
        switch completion {
        case .single(let continuation): continuation.resume(returning: last)
        case .chain(let continuation): continuation.resume(returning: ChainResult(results: chain()))
        case .batchMember(let collector, let index): collector.finish(index, with: ChainResult(results: chain()))
        }
    }
}
