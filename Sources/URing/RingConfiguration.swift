/// Sizes and limits of one ring. The defaults suit this project's workloads:
/// enough depth to batch 64+ chains per `io_uring_enter`, bounded so that the
/// completion queue can never overflow.
public struct RingConfiguration: Sendable {
    /// Submission queue entries (a power of two).
    public var submissionQueueEntries: Int = 256
    /// Operations (single entries or whole chains) in the kernel at once;
    /// more wait in the ring's queue. Each may post up to `maximumChainLength`
    /// completions, so the completion queue is sized from both.
    public var maximumInFlight: Int = 256
    /// Longest linked chain accepted (never more than `ChainResult.capacity`, 8).
    public var maximumChainLength: Int = 8
    /// Slots in the sparse direct-descriptor table (0 disables it).
    public var directDescriptors: Int = 1024
    /// Registered buffers and their size (0 buffers disables the pool).
    public var registeredBufferCount: Int = 16
    public var registeredBufferSize: Int = 256 * 1024

    public init() {}

    var completionQueueEntries: Int {
        // The kernel needs at least as many completion entries as submission entries.
        var size = 1
        while size < max(maximumInFlight * 3 + 64, submissionQueueEntries * 2) { size <<= 1 }
        return size
    }
}

/// How a ring was set up: reported by `fsring doctor`.
public struct RingSetupReport: Sendable {
    /// Names of the IORING_SETUP_* flags the kernel accepted.
    public var setupFlags: [String]
    /// Flag sets tried before one was accepted, with the errno each got.
    public var refusedFlagSets: [(flags: [String], errno: Int32)]
    /// IORING_FEAT_* bits the kernel reported.
    public var features: UInt32
    /// Opcodes the kernel supports, by number.
    public var supportedOpcodes: [UInt8]
    /// Highest opcode number the kernel knows.
    public var lastOpcode: UInt8
    /// Whether the sparse direct-descriptor table could be registered (errno if not).
    public var directDescriptorError: Int32?
    /// Whether the registered buffer pool could be registered (errno if not).
    public var registeredBufferError: Int32?
}

/// io_uring could not be set up on this machine.
public struct RingSetupError: Error, CustomStringConvertible {
    /// The errno of the last attempt (ENOSYS, EPERM, ...).
    public let code: Int32
    /// What was attempted.
    public let stage: String

    public init(code: Int32, stage: String) {
        self.code = code
        self.stage = stage
    }

    /// What failed and why, e.g. `io_uring_queue_init: Operation not permitted (EPERM)`.
    public var reason: String { "\(stage): \(ErrnoName.describe(code))" }

    public var description: String { "io_uring unavailable: \(reason)" }
}
