import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// SIGINT and SIGTERM, taken over while a copy runs. The first asks the
/// copy to stop the way a failure that ends a run does: nothing new starts,
/// the file being written is dropped, a new tree written under a temporary
/// name is renamed into place with what is whole, and directories get their
/// metadata; the command then exits with 128 + the signal's number. A
/// second signal ends the process at once.
final class Interruption: Sendable {
    private static let signals = [SIGINT, SIGTERM]
    private let received = Atomic<Int32>(0)
    /// Written once, at the end of `init`, and read once, by `end`, on the
    /// task that made this value (Dispatch's sources are not Sendable; the
    /// handlers never touch this).
    nonisolated(unsafe) private var sources: [any DispatchSourceSignal] = []
    /// The signals taken over: a signal ignored already stays ignored (a
    /// shell starts the background jobs of scripts with SIGINT ignored, on
    /// purpose).
    private let watched: [Int32]

    /// Starts watching; `stop` is called (once, on a Dispatch thread) at the first signal.
    init(stop: @escaping @Sendable () -> Void) {
        // Dispatch sees a signal only once its default action is off.
        watched = Self.signals.filter { Self.isHandled(previously: Glibc.signal($0, SIG_IGN)) }
        var made: [any DispatchSourceSignal] = []
        for number in watched {
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self, received.compareExchange(expected: 0, desired: number, ordering: .relaxed).exchanged
                else { return }
                for other in watched { Glibc.signal(other, SIG_DFL) }
                stop()
            }
            source.resume()
            made.append(source)
        }
        sources = made
    }

    /// Whether a disposition signal(2) returned was anything but "ignore".
    private static func isHandled(previously handler: __sighandler_t?) -> Bool {
        guard let handler else { return true }  // SIG_DFL is a null pointer.
        return unsafeBitCast(handler, to: Int.self) != unsafeBitCast(SIG_IGN, to: Int.self)
    }

    /// The signal that arrived, if one did.
    var signal: Int32? {
        let number = received.load(ordering: .relaxed)
        return number == 0 ? nil : number
    }

    /// Stops watching and gives the signals watched back their default action.
    func end() {
        for source in sources { source.cancel() }
        sources = []
        for number in watched { Glibc.signal(number, SIG_DFL) }
    }
}
