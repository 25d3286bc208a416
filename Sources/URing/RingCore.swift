internal import CURing

#if canImport(Glibc)
    import Glibc
#endif

/// The state of one ring that only its owner thread touches: the io_uring
/// itself, the table of operations in the kernel, the queue of runnable jobs.
/// No locks: the owner thread is the only one that ever reaches this object
/// (see `Ring.core`).
final class RingCore {
    let ring: UnsafeMutablePointer<io_uring>
    let configuration: RingConfiguration
    private let completionBatch: UnsafeMutablePointer<UnsafeMutablePointer<io_uring_cqe>?>
    private let completionBatchSize = 128

    // Wake-ups from other threads: an eventfd with a read always in the kernel.
    let wakeDescriptor: Int32
    private let wakeBuffer: UnsafeMutablePointer<UInt64>
    private static let wakeUserData: UInt64 = 1
    private static let cancelUserData: UInt64 = 2

    private struct Slot {
        var generation: UInt32 = 0
        var completion: PendingRequest.Completion?
        /// Results of the steps so far, kept inline (no allocation per chain).
        var results = ChainResult(count: 0)
        var stepCount = 0
        var directSlot: Int32 = -1
        var token: CancellationToken?
        /// Steps whose failure ends the chain at once: a failing step with
        /// CQE_SKIP_SUCCESS and a soft link makes the kernel cancel the rest
        /// without posting their completions.
        var silentTailSteps: UInt64 = 0
    }
    // Ring-thread-only table, addressed directly: no exclusivity or
    // copy-on-write checks on the hot path. Freed in `close()`.
    private let slots: UnsafeMutablePointer<Slot>
    private let slotCount: Int
    private var freeSlots: [Int32]
    private var freeDirectSlots: [Int32]
    private var waiting: [PendingRequest] = []
    private var waitingHead = 0
    private(set) var inFlight = 0

    var jobs: [UnownedJob] = []
    private var spareJobs: [UnownedJob] = []

    let report: RingSetupReport
    let buffers: RegisteredBufferPool?
    /// Made with IORING_SETUP_R_DISABLED: `enable()` before any submission.
    private let startsDisabled: Bool

    init(configuration: RingConfiguration) throws(RingSetupError) {
        self.configuration = configuration
        ring = .allocate(capacity: 1)
        var refused: [(flags: [String], errno: Int32)] = []
        var accepted: [String] = []
        var params = io_uring_params()
        // Probe from the best setup down: a kernel that refuses a flag says
        // EINVAL. R_DISABLED: the ring is made here, on the caller's thread,
        // and its own thread enables it (`enable()`), becoming the single
        // issuer then; so the caller need not wait for that thread.
        let attempts: [(UInt32, [String])] = [
            (
                IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG
                    | IORING_SETUP_R_DISABLED,
                ["SINGLE_ISSUER", "DEFER_TASKRUN", "TASKRUN_FLAG", "R_DISABLED"]
            ),
            (
                IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_R_DISABLED,
                ["COOP_TASKRUN", "TASKRUN_FLAG", "R_DISABLED"]
            ),
            (IORING_SETUP_R_DISABLED, ["R_DISABLED"]),
            (0, []),
        ]
        var lastError: Int32 = 0
        var initialized = false
        var startsDisabled = false
        for (flags, names) in attempts {
            params = io_uring_params()
            params.flags = flags | IORING_SETUP_CQSIZE
            params.cq_entries = UInt32(configuration.completionQueueEntries)
            let status = io_uring_queue_init_params(UInt32(configuration.submissionQueueEntries), ring, &params)
            if status == 0 {
                accepted = names + ["CQSIZE"]
                initialized = true
                startsDisabled = flags & IORING_SETUP_R_DISABLED != 0
                break
            }
            lastError = -status
            refused.append((names + ["CQSIZE"], -status))
            // Anything but "flag not supported" will not get better with fewer flags.
            if lastError != EINVAL { break }
        }
        guard initialized else {
            ring.deallocate()
            throw RingSetupError(code: lastError, stage: "io_uring_queue_init")
        }

        var opcodes: [UInt8] = []
        var lastOpcode: UInt8 = 0
        if let probe = io_uring_get_probe_ring(ring) {
            lastOpcode = probe.pointee.last_op
            for opcode in 0...Int32(lastOpcode) where io_uring_opcode_supported(probe, opcode) != 0 {
                opcodes.append(UInt8(opcode))
            }
            io_uring_free_probe(probe)
        }

        var directError: Int32?
        if configuration.directDescriptors > 0 {
            let status = io_uring_register_files_sparse(ring, UInt32(configuration.directDescriptors))
            if status < 0 { directError = -status }
        }
        freeDirectSlots = directError == nil ? (0..<Int32(configuration.directDescriptors)).reversed() : []

        var bufferError: Int32?
        var pool: RegisteredBufferPool?
        if configuration.registeredBufferCount > 0 {
            let candidate = RegisteredBufferPool(
                count: configuration.registeredBufferCount, size: configuration.registeredBufferSize)
            let status = candidate.register(with: ring)
            if status < 0 {
                bufferError = -status
                candidate.deallocate()
            } else {
                pool = candidate
            }
        }
        buffers = pool

        report = RingSetupReport(
            setupFlags: accepted, refusedFlagSets: refused, features: params.features,
            supportedOpcodes: opcodes, lastOpcode: lastOpcode,
            directDescriptorError: directError, registeredBufferError: bufferError)

        self.startsDisabled = startsDisabled
        slotCount = configuration.maximumInFlight
        slots = .allocate(capacity: slotCount)
        slots.initialize(repeating: Slot(), count: slotCount)
        freeSlots = (0..<Int32(configuration.maximumInFlight)).reversed()
        completionBatch = .allocate(capacity: completionBatchSize)
        wakeBuffer = .allocate(capacity: 1)
        wakeDescriptor = fsr_eventfd_cloexec()
        if wakeDescriptor < 0 {
            let code = errno
            io_uring_queue_exit(ring)
            ring.deallocate()
            throw RingSetupError(code: code, stage: "eventfd")
        }
        // Submitted by the owner thread's first entry into the kernel: a
        // disabled ring takes no submissions.
        armWakeRead()
    }

    /// Enables a ring made disabled, from the thread that will own it (the
    /// kernel takes that thread as the single issuer): 0, or -errno.
    func enable() -> Int32 {
        startsDisabled ? fsr_io_uring_enable_rings(ring) : 0
    }

    /// Releases the ring and everything registered with it. Only after the
    /// loop has drained every operation.
    func close() {
        io_uring_queue_exit(ring)
        ring.deallocate()
        Glibc.close(wakeDescriptor)
        buffers?.deallocate()
        completionBatch.deallocate()
        wakeBuffer.deallocate()
        slots.deinitialize(count: slotCount)
        slots.deallocate()
    }

    private func takeSQE() -> UnsafeMutablePointer<io_uring_sqe> {
        while true {
            if let sqe = io_uring_get_sqe(ring) { return sqe }
            // The queue is full: hand what is prepared to the kernel now. The
            // number in flight is bounded, so this frees entries.
            _ = io_uring_submit(ring)
        }
    }

    private func armWakeRead() {
        let sqe = takeSQE()
        io_uring_prep_read(sqe, wakeDescriptor, wakeBuffer, 8, 0)
        sqe.pointee.user_data = Self.wakeUserData
    }

    // MARK: Accepting operations

    /// Starts `request` now if a slot (and a direct descriptor, when the chain
    /// needs one) is free; otherwise queues it behind the others.
    func accept(_ request: PendingRequest) {
        if request.token?.isCancelled == true {
            request.complete(withoutSubmitting: -ECANCELED)
            return
        }
        if waitingHead < waiting.count || !canStart(request) {
            waiting.append(request)
            return
        }
        start(request)
    }

    private func canStart(_ request: PendingRequest) -> Bool {
        if freeSlots.isEmpty { return false }
        if request.usesChainSlot && freeDirectSlots.isEmpty { return false }
        return true
    }

    private func start(_ request: PendingRequest) {
        let count = request.entries.count
        // A chain must reach the kernel in one submission: make room first.
        if io_uring_sq_space_left(ring) < UInt32(count) { _ = io_uring_submit(ring) }
        let index = freeSlots.removeLast()
        let direct: Int32 = request.usesChainSlot ? freeDirectSlots.removeLast() : -1
        slots[Int(index)].generation &+= 1
        let generation = slots[Int(index)].generation
        slots[Int(index)].completion = request.completion
        slots[Int(index)].results = ChainResult(count: count)
        slots[Int(index)].stepCount = count
        slots[Int(index)].directSlot = direct
        slots[Int(index)].token = request.token
        slots[Int(index)].silentTailSteps = 0
        inFlight += 1
        for step in 0..<count {
            let sqe = takeSQE()
            request.entries[step].write(
                into: sqe, userData: Self.userData(slot: index, generation: generation, step: step), slot: direct)
            let linkFlags = UInt8(FSR_IOSQE_IO_LINK | FSR_IOSQE_IO_HARDLINK)
            if step == count - 1 {
                // The last entry must report and must not link to whatever comes next.
                sqe.pointee.flags &= ~(linkFlags | UInt8(FSR_IOSQE_CQE_SKIP_SUCCESS))
            } else if sqe.pointee.flags & linkFlags == 0 {
                // A chain is linked by definition: its last completion ends it.
                sqe.pointee.flags |= UInt8(FSR_IOSQE_IO_LINK)
            }
            let flags = sqe.pointee.flags
            if step < count - 1 && flags & UInt8(FSR_IOSQE_CQE_SKIP_SUCCESS) != 0
                && flags & UInt8(FSR_IOSQE_IO_HARDLINK) == 0
            {
                slots[Int(index)].silentTailSteps |= 1 << UInt64(step)
            }
        }
    }

    private static func userData(slot: Int32, generation: UInt32, step: Int) -> UInt64 {
        (UInt64(slot + 1) << 32) | (UInt64(generation & 0xFF_FFFF) << 8) | UInt64(step)
    }

    private func startWaiting() {
        while waitingHead < waiting.count {
            let next = waiting[waitingHead]
            if next.token?.isCancelled == true {
                next.complete(withoutSubmitting: -ECANCELED)
            } else if canStart(next) {
                start(next)
            } else {
                break
            }
            waitingHead += 1
        }
        if waitingHead == waiting.count {
            waiting.removeAll(keepingCapacity: true)
            waitingHead = 0
        }
    }

    // MARK: Cancelling

    /// Asks the kernel to cancel every operation started under `token`, and
    /// completes those still waiting for a slot.
    func cancel(_ token: CancellationToken) {
        for index in 0..<slotCount where slots[index].token === token && slots[index].completion != nil {
            cancelSlot(index)
        }
        var kept: [PendingRequest] = []
        for request in waiting[waitingHead...] {
            if request.token === token {
                request.complete(withoutSubmitting: -ECANCELED)
            } else {
                kept.append(request)
            }
        }
        waiting = kept
        waitingHead = 0
    }

    /// Cancels everything in the kernel (shutdown).
    func cancelAll() {
        for index in 0..<slotCount where slots[index].completion != nil { cancelSlot(index) }
        for request in waiting[waitingHead...] { request.complete(withoutSubmitting: -ECANCELED) }
        waiting.removeAll()
        waitingHead = 0
    }

    private func cancelSlot(_ index: Int) {
        let slot = slots[index]
        for step in 0..<slot.stepCount where step == slot.stepCount - 1 || slot.results[step] == nil {
            let sqe = takeSQE()
            io_uring_prep_cancel64(
                sqe, Self.userData(slot: Int32(index), generation: slot.generation, step: step), 0)
            sqe.pointee.user_data = Self.cancelUserData
        }
    }

    // MARK: The loop's kernel step

    /// Submits what is prepared and reaps completions, in one io_uring_enter:
    /// waiting for at least one completion when `wait` is set.
    func enterKernel(wait: Bool) {
        if wait {
            _ = io_uring_submit_and_wait(ring, 1)
        } else if inFlight > 0 {
            // Deferred task work runs only when we enter with GETEVENTS.
            _ = io_uring_submit_and_get_events(ring)
        } else {
            _ = io_uring_submit(ring)
        }
        reapCompletions()
    }

    private func reapCompletions() {
        while true {
            let count = Int(io_uring_peek_batch_cqe(ring, completionBatch, UInt32(completionBatchSize)))
            if count == 0 { return }
            for index in 0..<count {
                let cqe = completionBatch[index]!.pointee
                handleCompletion(userData: cqe.user_data, result: cqe.res)
            }
            io_uring_cq_advance(ring, UInt32(count))
        }
    }

    private func handleCompletion(userData: UInt64, result: Int32) {
        if userData == Self.wakeUserData {
            armWakeRead()
            return
        }
        if userData == Self.cancelUserData { return }
        let index = Int(userData >> 32) - 1
        let generation = UInt32((userData >> 8) & 0xFF_FFFF)
        let step = Int(userData & 0xFF)
        guard index >= 0, index < slotCount, slots[index].generation & 0xFF_FFFF == generation,
            let completion = slots[index].completion, step < slots[index].stepCount
        else { return }  // A late completion of a chain that already finished.
        let last = slots[index].stepCount - 1
        let endsHere = result < 0 && slots[index].silentTailSteps & (1 << UInt64(step)) != 0
        if step < last {
            slots[index].results[step] = result
            guard endsHere else { return }
        }

        var results = slots[index].results
        if slots[index].directSlot >= 0 { freeDirectSlots.append(slots[index].directSlot) }
        slots[index].completion = nil
        slots[index].token = nil
        freeSlots.append(Int32(index))
        inFlight -= 1
        // A chain ended early by a silent failure: the kernel cancelled the rest.
        let lastResult = step == last ? result : -ECANCELED
        for later in (step + 1)..<(last + 1) { results[later] = -ECANCELED }
        results[last] = lastResult
        PendingRequest.deliver(completion, last: lastResult) { results }
        startWaiting()
    }

    var hasWaitingRequests: Bool { waitingHead < waiting.count }

    // MARK: Jobs

    /// Runs the jobs that are runnable now; jobs they make runnable wait for
    /// the next tick, so submissions are never starved.
    func runJobs(on executor: UnownedTaskExecutor) {
        if jobs.isEmpty { return }
        swap(&jobs, &spareJobs)
        for job in spareJobs { job.runSynchronously(on: executor) }
        spareJobs.removeAll(keepingCapacity: true)
    }
}
