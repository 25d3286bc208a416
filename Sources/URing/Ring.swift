internal import CURing
import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One io_uring, owned by one thread that lives as long as the ring, and a
/// Swift `TaskExecutor` that runs tasks on that thread.
///
/// A task that prefers this executor (`withTaskExecutorPreference(ring)`)
/// runs on the ring thread: its operations write their SQEs directly, and
/// resume on the same thread when the completion is reaped, with no lock and
/// no thread hop. Operations from any other thread go through an inbox and
/// an eventfd wake-up, written only while the ring thread sleeps.
public final class Ring: TaskExecutor, @unchecked Sendable {
    // @unchecked: every stored property is either immutable after init, a
    // Mutex or an atomic, or `core`, which only the owner thread touches
    // (checked by `isOwnerThread` on every path that reaches it), except
    // where no owner thread exists: `init` makes it, and `shutdown` of a
    // ring never given work, or a failed thread start, closes it.

    /// Position of this ring in its runtime.
    public let index: Int
    /// How the kernel set this ring up.
    public let setupReport: RingSetupReport
    /// Whether chains may use a direct descriptor slot (`RingFile.chainSlot`).
    public let supportsDirectDescriptors: Bool

    private struct Inbox {
        var jobs: [UnownedJob] = []
        var requests: [PendingRequest] = []
        var cancellations: [CancellationToken] = []
        var sleeping = false
        var stopping = false
        var stopped = false
    }
    private let inbox = Mutex(Inbox())
    private let core: RingCore
    /// The owner thread's `pthread_t`, 0 until it runs.
    private let ownerThread = Atomic<UInt>(0)
    private let threadStarted = Atomic<Bool>(false)
    private let thread = Mutex<PersistentThread?>(nil)
    private let wakeDescriptor: Int32
    private let buffers: RegisteredBufferPool?

    /// Makes the ring on the calling thread, disabled. Its thread starts
    /// when the ring is first given work (`startThreadIfNeeded`), enables
    /// the ring (becoming its single issuer) and runs its loop; nobody waits
    /// for it, and a ring never used costs no thread. Starting both rings'
    /// threads up front and waiting for each to make its ring cost `fsring
    /// hash` of an empty file 0.4-0.5 ms of its 2.6 ms (200 paired runs
    /// against the POSIX backend): a new thread often starts on the other,
    /// idle, core, which takes a while to wake.
    init(index: Int, configuration: RingConfiguration) throws(RingSetupError) {
        self.index = index
        core = try RingCore(configuration: configuration)
        wakeDescriptor = core.wakeDescriptor
        buffers = core.buffers
        setupReport = core.report
        supportsDirectDescriptors = core.report.directDescriptorError == nil
    }

    /// True on the thread that owns this ring.
    public var isOwnerThread: Bool {
        let owner = ownerThread.load(ordering: .acquiring)
        return owner != 0 && pthread_equal(pthread_t(owner), pthread_self()) != 0
    }

    /// Starts the owner thread, once, on the ring's first work. If it cannot
    /// start, the ring refuses all work (see `refuseAll`).
    private func startThreadIfNeeded() {
        if threadStarted.load(ordering: .acquiring) || threadStarted.exchange(true, ordering: .acquiringAndReleasing) {
            return
        }
        // Spawned under the lock, so that a shutdown meanwhile waits for the
        // thread to exist before it joins it.
        let failure: PersistentThread.SpawnError? = thread.withLock { thread in
            do throws(PersistentThread.SpawnError) {
                thread = try PersistentThread.spawn(name: "fsring-ring-\(index)") { [self] in
                    ownerThread.store(UInt(pthread_self()), ordering: .releasing)
                    run()
                }
                return nil
            } catch {
                return error
            }
        }
        if let failure {
            refuseAll(code: failure.code)
            core.close()
        }
    }

    // MARK: TaskExecutor

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if isOwnerThread {
            core.jobs.append(job)
            return
        }
        if !deliverToInbox({ $0.jobs.append(job) }) {
            // The ring is gone: keep the task alive on the global executor.
            globalConcurrentExecutor.enqueue(job)
        }
    }

    /// Adds to the inbox and wakes the ring thread if it sleeps. False when
    /// the ring has stopped and the item was not added.
    private func deliverToInbox(_ add: (inout Inbox) -> Void) -> Bool {
        startThreadIfNeeded()
        let outcome: (wake: Bool, stopped: Bool) = inbox.withLock { inbox in
            if inbox.stopped { return (false, true) }
            add(&inbox)
            let wake = inbox.sleeping
            inbox.sleeping = false
            return (wake, false)
        }
        if outcome.wake { wake() }
        return !outcome.stopped
    }

    private func wake() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeDescriptor, &one, 8)
    }

    // MARK: Handing requests to the owner thread

    private func post(_ request: PendingRequest) {
        if isOwnerThread {
            core.accept(request)
            return
        }
        if !deliverToInbox({ $0.requests.append(request) }) {
            request.complete(withoutSubmitting: -ECANCELED)
        }
    }

    private func postCancellation(_ token: CancellationToken) {
        token.cancel()
        _ = deliverToInbox { $0.cancellations.append(token) }
    }

    // MARK: Submitting

    /// Submits one operation and returns its raw result (`-errno` on failure).
    ///
    /// Cancelling the task cancels the operation in the kernel; the call still
    /// waits for the kernel's completion (so the memory the operation uses
    /// stays valid), then throws `CancellationError` if the operation did not
    /// complete anyway.
    public func submit(_ entry: SubmissionEntry) async throws -> Int32 {
        let token = CancellationToken()
        let result = await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                post(PendingRequest(entries: .single(entry), completion: .single(continuation), token: token))
            }
        } onCancel: {
            postCancellation(token)
        }
        if token.isCancelled && (result == -ECANCELED || result == -EINTR) { throw CancellationError() }
        return result
    }

    /// Submits one operation that must happen even if the task is cancelled
    /// (closing a descriptor, for one): no cancellation handler, no token.
    public func submitUncancellable(_ entry: SubmissionEntry) async -> Int32 {
        await withUnsafeContinuation { continuation in
            post(PendingRequest(entries: .single(entry), completion: .single(continuation), token: nil))
        }
    }

    /// Submits a linked chain, awaited as one operation. The last entry's
    /// link flags are cleared; entries before it choose `linked()` (stop on
    /// failure) or `hardLinked()` (go on regardless).
    public func submit(chain entries: [SubmissionEntry]) async throws -> ChainResult {
        precondition(
            !entries.isEmpty && entries.count <= longestChain, "a chain has 1 to maximumChainLength entries")
        if entries.contains(where: { $0.slotUse != .none }) && !supportsDirectDescriptors {
            return ChainResult(results: Array(repeating: -ENOTSUP, count: entries.count))
        }
        let token = CancellationToken()
        let result = await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                post(PendingRequest(entries: .chain(entries[...]), completion: .chain(continuation), token: token))
            }
        } onCancel: {
            postCancellation(token)
        }
        if token.isCancelled && result.results.contains(where: { $0 == -ECANCELED }) { throw CancellationError() }
        return result
    }

    /// Submits many chains at once and waits for all of them: the cheapest way
    /// to do the same small job (open, read, close) on many files.
    public func submit(batch chains: [[SubmissionEntry]]) async throws -> [ChainResult] {
        try await submit(chains: chains.map { $0[...] })
    }

    /// The same for chains of equal length laid out one after another in
    /// `entries`: one array for the whole batch instead of one per chain.
    public func submit(batch entries: [SubmissionEntry], chainLength: Int) async throws -> [ChainResult] {
        precondition(chainLength > 0 && entries.count % chainLength == 0, "whole chains of chainLength entries")
        return try await submit(
            chains: stride(from: 0, to: entries.count, by: chainLength).map { entries[$0..<$0 + chainLength] })
    }

    private func submit(chains: [ArraySlice<SubmissionEntry>]) async throws -> [ChainResult] {
        if chains.isEmpty { return [] }
        let usesSlots = chains.contains { $0.contains { $0.slotUse != .none } }
        if usesSlots && !supportsDirectDescriptors {
            return chains.map { ChainResult(results: Array(repeating: -ENOTSUP, count: $0.count)) }
        }
        let token = CancellationToken()
        let results = await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                let collector = BatchCollector(count: chains.count, continuation: continuation)
                for (position, chain) in chains.enumerated() {
                    precondition(
                        !chain.isEmpty && chain.count <= longestChain, "a chain has 1 to maximumChainLength entries")
                    post(
                        PendingRequest(
                            entries: .chain(chain), completion: .batchMember(collector, position), token: token))
                }
            }
        } onCancel: {
            postCancellation(token)
        }
        if token.isCancelled && results.contains(where: { $0.results.contains { $0 == -ECANCELED } }) {
            throw CancellationError()
        }
        return results
    }

    /// The longest chain this ring accepts: its configuration's limit, and
    /// never more than a `ChainResult` holds.
    private var longestChain: Int { min(core.configuration.maximumChainLength, ChainResult.capacity) }

    // MARK: Registered buffers

    /// Whether this ring has registered buffers (`readFixed`/`writeFixed`).
    public var hasRegisteredBuffers: Bool { buffers != nil }
    /// Size of each registered buffer (0 when there are none).
    public var registeredBufferSize: Int { buffers?.size ?? 0 }

    /// Lends a registered buffer of this ring for the duration of `body`,
    /// waiting for one to be free. Fixed operations that use it must be
    /// submitted to this ring. Returns nil from `body`'s point of view when
    /// the ring has no registered buffers: check `hasRegisteredBuffers` first.
    public func withRegisteredBuffer<Result>(
        _ body: (RegisteredBuffer) async throws -> Result
    ) async throws -> Result {
        guard let buffers else { throw RingSetupError(code: ENOBUFS, stage: "registered buffers") }
        let buffer = await buffers.lease()
        defer { buffers.giveBack(buffer) }
        return try await body(buffer)
    }

    // MARK: The owner thread's loop

    /// The owner thread's life: enable the ring, then loop until shutdown.
    private func run() {
        let status = core.enable()
        guard status == 0 else {
            refuseAll(code: -status)
            core.close()
            return
        }
        runLoop()
    }

    /// The ring could not be enabled, so nothing can ever be submitted to
    /// it: the inbox refuses from now on (tasks go to the global executor,
    /// operations fail with ECANCELED), and what was handed over already
    /// fails with `code` or moves to the global executor.
    private func refuseAll(code: Int32) {
        let (jobs, requests) = inbox.withLock { inbox in
            inbox.stopped = true
            defer {
                inbox.jobs.removeAll()
                inbox.requests.removeAll()
                inbox.cancellations.removeAll()
            }
            return (inbox.jobs, inbox.requests)
        }
        for job in jobs { globalConcurrentExecutor.enqueue(job) }
        for request in requests { request.complete(withoutSubmitting: -code) }
    }

    private func runLoop() {
        let executor = asUnownedTaskExecutor()
        var requests: [PendingRequest] = []
        var cancellations: [CancellationToken] = []
        var cancelledAll = false
        while true {
            var stopping = false
            inbox.withLock { inbox in
                core.jobs.append(contentsOf: inbox.jobs)
                inbox.jobs.removeAll(keepingCapacity: true)
                swap(&requests, &inbox.requests)
                swap(&cancellations, &inbox.cancellations)
                stopping = inbox.stopping
            }
            for request in requests { core.accept(request) }
            requests.removeAll(keepingCapacity: true)
            for token in cancellations { core.cancel(token) }
            cancellations.removeAll(keepingCapacity: true)
            if stopping && !cancelledAll {
                core.cancelAll()
                cancelledAll = true
            }

            core.runJobs(on: executor)

            if stopping && core.jobs.isEmpty && core.inFlight == 0 && !core.hasWaitingRequests {
                let leftovers: [UnownedJob] = inbox.withLock { inbox in
                    inbox.stopped = true
                    defer { inbox.jobs.removeAll() }
                    return inbox.jobs
                }
                if leftovers.isEmpty { break }
                core.jobs.append(contentsOf: leftovers)
                inbox.withLock { $0.stopped = false }
                continue
            }

            var wait = false
            if core.jobs.isEmpty {
                wait = inbox.withLock { inbox in
                    // A shutdown that came after the top of the loop finds
                    // `sleeping` false and wakes nobody: never sleep then.
                    let idle =
                        inbox.jobs.isEmpty && inbox.requests.isEmpty && inbox.cancellations.isEmpty
                        && !inbox.stopping
                    if idle { inbox.sleeping = true }
                    return idle
                }
            }
            core.enterKernel(wait: wait)
            if wait { inbox.withLock { $0.sleeping = false } }
        }
        core.close()
    }

    /// Stops the loop once pending operations have completed or been
    /// cancelled, then closes the ring. Blocks until the thread has exited.
    func shutdown() {
        let wake: Bool = inbox.withLock { inbox in
            inbox.stopping = true
            let wake = inbox.sleeping
            inbox.sleeping = false
            return wake
        }
        if threadStarted.exchange(true, ordering: .acquiringAndReleasing) {
            if wake { self.wake() }
            thread.withLock { $0 }?.join()
        } else {
            // Never given work: no thread, nothing in flight. Whatever came
            // in since (no thread will be started for it) is refused.
            refuseAll(code: ECANCELED)
            core.close()
        }
    }
}
