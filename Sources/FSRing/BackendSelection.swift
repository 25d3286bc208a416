import Synchronization
import URing

#if canImport(Glibc)
    import Glibc
#endif

/// Which backend a `FileSystem` got, and why: `fsring doctor` prints this.
public struct BackendChoice: Sendable {
    public let backend: Backend
    /// One line: "io_uring available", "FSRING_BACKEND=posix", or the setup error.
    public let reason: String
    /// The ring runtime, when the backend is io_uring.
    public let runtime: RingRuntime?
}

/// The process-wide backends: one ring runtime and one POSIX pool, started on
/// first use and shared by every `FileSystem`.
enum SharedBackends {
    private struct State {
        var uring: Result<URingFileIO, RingSetupError>?
        var posix: PosixFileIO?
        var noticePrinted = false
    }
    private static let state = Mutex(State())

    /// Threads for blocking calls: enough to overlap a few disk waits per core.
    static var blockingThreads: Int { max(4, RingRuntime.onlineCores * 2) }

    static func uring() -> Result<URingFileIO, RingSetupError> {
        state.withLock { state in
            if let existing = state.uring { return existing }
            let made: Result<URingFileIO, RingSetupError>
            do throws(RingSetupError) {
                let runtime = try RingRuntime(
                    ringCount: ringCountFromEnvironment(), configuration: fileSystemRingConfiguration)
                made = .success(URingFileIO(runtime: runtime, blocking: listingPool()))
            } catch {
                made = .failure(error)
            }
            state.uring = made
            return made
        }
    }

    /// The file API's rings register no buffers: nothing in it reads into
    /// them, and pinning 16 x 256 KiB per ring cost about 4 ms of every
    /// process's start here (15.5 ms against 11 ms for `fsring hash` of one
    /// small file).
    static var fileSystemRingConfiguration: RingConfiguration {
        var configuration = RingConfiguration()
        configuration.registeredBufferCount = 0
        return configuration
    }

    /// `FSRING_RINGS=N` sets the number of rings (threads); default one per core.
    static func ringCountFromEnvironment() -> Int? {
        guard let value = getenv("FSRING_RINGS").map({ String(cString: $0) }), let count = Int(value), count > 0
        else { return nil }
        return min(count, 64)
    }

    private static let listingPoolState = Mutex<BlockingPool?>(nil)

    /// Threads for getdents64 and readlink under io_uring, shared by every ring runtime.
    static func listingPool() -> BlockingPool {
        listingPoolState.withLock { pool in
            if let pool { return pool }
            let made = BlockingPool(threads: blockingThreads)
            pool = made
            return made
        }
    }

    static func posix() throws -> PosixFileIO {
        try state.withLock { state in
            if let existing = state.posix { return existing }
            let made = try PosixFileIO(threads: blockingThreads)
            state.posix = made
            return made
        }
    }

    /// Prints the fallback notice once per process.
    static func noticeFallback(_ reason: String) {
        let first = state.withLock { state in
            defer { state.noticePrinted = true }
            return !state.noticePrinted
        }
        if first { writeToStandardError("fsring: \(reason); using the POSIX backend\n") }
    }
}

/// The backend could not be chosen as asked.
public struct BackendSelectionError: Error, CustomStringConvertible {
    public let description: String
}

extension FileSystem {
    /// Environment variable that forces a backend: `uring` or `posix`.
    public static let backendVariable = "FSRING_BACKEND"

    /// A file system on io_uring with a runtime the caller configured (ring
    /// count, queue sizes, buffers). The caller shuts the runtime down, after
    /// the last use of this file system.
    public init(runtime: RingRuntime) {
        io = URingFileIO(runtime: runtime, blocking: SharedBackends.listingPool())
        choice = BackendChoice(backend: .uring, reason: "runtime given by the caller", runtime: runtime)
    }

    /// Picks a backend: `requested` if given, else `FSRING_BACKEND`, else
    /// io_uring when it starts, falling back to POSIX with a notice on stderr.
    static func select(_ requested: Backend?) throws -> (any FileIO, BackendChoice) {
        var forced = requested
        var forcedBy = "requested by the caller"
        if forced == nil, let value = getenv(backendVariable).map({ String(cString: $0) }), !value.isEmpty {
            guard let backend = Backend(rawValue: value.lowercased()) else {
                throw BackendSelectionError(
                    description: "\(backendVariable)=\(value) is not a backend: use 'uring' or 'posix'")
            }
            forced = backend
            forcedBy = "\(backendVariable)=\(value)"
        }
        switch forced {
        case .posix:
            let io = try SharedBackends.posix()
            return (io, BackendChoice(backend: .posix, reason: forcedBy, runtime: nil))
        case .uring:
            switch SharedBackends.uring() {
            case .success(let io):
                return (io, BackendChoice(backend: .uring, reason: forcedBy, runtime: io.runtime))
            case .failure(let error):
                throw BackendSelectionError(description: "\(forcedBy), but \(error)")
            }
        case nil:
            switch SharedBackends.uring() {
            case .success(let io):
                return (io, BackendChoice(backend: .uring, reason: "io_uring available", runtime: io.runtime))
            case .failure(let error):
                SharedBackends.noticeFallback(error.description)
                let io = try SharedBackends.posix()
                return (io, BackendChoice(backend: .posix, reason: error.description, runtime: nil))
            }
        }
    }
}

/// Writes a diagnostic line to stderr with write(2), which needs no shared
/// C stream (and so no unsafe global).
public func writeToStandardError(_ text: String) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress! + offset, $0.count - offset) }
        if written <= 0 { return }
        offset += written
    }
}
