import FSRing
import SystemPackage

/// Totals of a copy, so far or at the end.
public struct CopySummary: Sendable, Hashable {
    /// Regular files copied (hard links to them excluded).
    public var files = 0
    public var directories = 0
    public var symbolicLinks = 0
    /// Entries created as hard links to a file copied earlier in the run.
    public var hardLinks = 0
    /// FIFOs and device nodes.
    public var specialFiles = 0
    /// Bytes of file contents copied.
    public var bytes: UInt64 = 0
    /// Entries left alone: kept by `--no-clobber` or `--update`, sockets.
    public var skipped = 0
    /// Entries that failed and were reported.
    public var failed = 0
    /// Files whose copy was compared with the source (`verify`).
    public var verified = 0
    /// Wall-clock time of the copy.
    public var elapsed: Duration = .zero

    public init() {}

    /// Bytes per second over the whole copy.
    public var bytesPerSecond: Double {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return seconds > 0 ? Double(bytes) / seconds : 0
    }
}

/// Where a copy stands, for a progress display.
public struct CopyProgress: Sendable {
    /// What is done so far.
    public var done: CopySummary
    /// Files and bytes in the whole source, once they are known
    /// (`CopyOptions.countTotals`), for an ETA.
    public var totalFiles: Int?
    public var totalBytes: UInt64?
    /// True for the last call, when the copy is over.
    public var finished: Bool
}

/// One entry handled, for `-v` and `--dry-run` listings.
public struct CopiedItem: Sendable {
    public enum Outcome: Sendable, Hashable {
        case copied
        /// An existing directory copied into: made already, given the
        /// source's metadata.
        case merged
        /// Created as a hard link to an entry copied earlier.
        case linked
        /// Left alone, with why.
        case skipped(String)
        /// `dryRun`: would be copied.
        case wouldCopy
    }
    public var source: FilePath { sourcePath.whole }
    public var destination: FilePath { destinationPath.whole }
    public var type: FSRing.FileType
    public var outcome: Outcome
    /// Where the entry the copy replaced was kept (`CopyOptions.backup`).
    public var backup: FilePath?
    let sourcePath: DeferredPath
    let destinationPath: DeferredPath

    init(
        source: DeferredPath, destination: DeferredPath, type: FSRing.FileType, outcome: Outcome,
        backup: FilePath? = nil
    ) {
        sourcePath = source
        destinationPath = destination
        self.type = type
        self.outcome = outcome
        self.backup = backup
    }
}

/// A path kept as its directory's path and a name, and joined only when
/// asked for: most entries' whole paths are never needed (no message, no
/// listing), and joining two for every file was a visible part of fsring's
/// own time on small files.
struct DeferredPath: Sendable {
    /// Nil when `name` is the whole path.
    var parent: FilePath?
    var name: RawName

    init(_ parent: FilePath?, _ name: RawName) {
        self.parent = parent
        self.name = name
    }

    init(whole: FilePath) { self.init(nil, RawName(whole)) }

    var whole: FilePath { parent.map { $0.pushing(name.path) } ?? name.path }
}

/// One entry that could not be copied.
public struct CopyFailure: Sendable, CustomStringConvertible {
    /// The source entry whose copy failed.
    public var source: FilePath
    /// The call that failed, with its path and errno.
    public var error: FileSystemError
    /// Why, when the errno alone would not say (a file that changed size
    /// while it was copied, a digest that differs after the copy).
    public var detail: String?

    public init(source: FilePath, error: FileSystemError, detail: String? = nil) {
        self.source = source
        self.error = error
        self.detail = detail
    }

    public var description: String { description(naming: \.quoted) }

    /// The description with each path named by `name` (see `FileSystemError`).
    public func description(naming name: (FilePath) -> String) -> String {
        guard let detail else { return error.description(naming: name) }
        return "\(error.operation) \(name(error.path ?? source)): \(detail)"
    }
}

/// What the copy does after a failure.
public enum CopyErrorDecision: Sendable {
    /// Report it and go on with the rest.
    case proceed
    /// Stop the copy: nothing new is started, and `copyItem` throws.
    case stop
}

/// Why a copy did not run or did not finish.
public enum CopyError: Error, Sendable, CustomStringConvertible {
    /// The source is missing or unreadable, or the destination cannot be
    /// made; `detail` says why when the errno alone would not.
    case cannotStart(FileSystemError, detail: String? = nil)
    /// A directory cannot be copied into itself.
    case intoItself(source: FilePath, destination: FilePath)
    /// Source and destination are the same file.
    case sameFile(source: FilePath, destination: FilePath)
    /// A failure that ends the run (no space, read-only destination), or one
    /// for which the error handler chose `.stop`. `summary` says what was
    /// done before it; no incomplete file is left under a final name.
    case stopped(CopyFailure, summary: CopySummary)

    public var description: String { description(naming: \.quoted) }

    /// The description with each path named by `name` (see `FileSystemError`).
    public func description(naming name: (FilePath) -> String) -> String {
        switch self {
        case .cannotStart(let error, let detail):
            detail.map { "\(error.operation) \(name(error.path ?? "")): \($0)" } ?? error.description(naming: name)
        case .intoItself(let source, let destination):
            "cannot copy a directory, \(name(source)), into itself, \(name(destination))"
        case .sameFile(let source, let destination):
            "\(name(source)) and \(name(destination)) are the same file"
        case .stopped(let failure, _): "stopped: " + failure.description(naming: name)
        }
    }
}
