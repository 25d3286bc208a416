import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A set of rings, one thread each: by default one per core.
///
/// Work picks a ring by where it runs: a task on a ring thread uses that ring;
/// anything else is spread over the rings in turn.
public final class RingRuntime: Sendable {
    /// The rings, in index order.
    public let rings: [Ring]
    private let nextRing = Atomic<Int>(0)
    private let stopped = Atomic<Bool>(false)

    /// Starts `ringCount` rings (default: one per online core).
    public init(ringCount: Int? = nil, configuration: RingConfiguration = RingConfiguration()) throws(RingSetupError) {
        let count = max(1, ringCount ?? Self.onlineCores)
        var rings: [Ring] = []
        for index in 0..<count {
            do {
                rings.append(try Ring(index: index, configuration: configuration))
            } catch {
                for ring in rings { ring.shutdown() }
                throw error
            }
        }
        self.rings = rings
    }

    /// Cores the scheduler may run us on, read once: each `sysconf` call
    /// reads /sys/devices/system/cpu/online, and a start-up asked five times.
    public static let onlineCores = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    /// The ring owned by the current thread, if this is a ring thread.
    public var currentRing: Ring? {
        for ring in rings where ring.isOwnerThread { return ring }
        return nil
    }

    /// The ring to use from here: the current thread's, or the next in turn.
    public func ring() -> Ring {
        if let current = currentRing { return current }
        let turn = nextRing.wrappingAdd(1, ordering: .relaxed).oldValue
        return rings[turn % rings.count]
    }

    /// Completes or cancels whatever is in flight, closes every ring and joins
    /// their threads. Work submitted afterwards fails with ECANCELED. Idempotent.
    public func shutdown() {
        if stopped.exchange(true, ordering: .acquiringAndReleasing) { return }
        for ring in rings { ring.shutdown() }
    }
}
