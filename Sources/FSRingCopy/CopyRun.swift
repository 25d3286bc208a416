internal import CURing
import FSRing
import Synchronization
import SystemPackage
import URing

#if canImport(Glibc)
    import Glibc
#endif

/// The state one copy shares across its threads: options, counters, the
/// hard-link table, the directories whose metadata is set at the end, and
/// what the destination's file systems turned out to support.
final class CopyRun: Sendable {
    let options: CopyOptions
    let onItem: (@Sendable (CopiedItem) -> Void)?
    let onError: @Sendable (CopyFailure) -> CopyErrorDecision
    let queue: JobQueue<CopyJob>
    let counters = CopyCounters()
    let effectiveUser = geteuid()
    /// The process umask, which new files and directories get.
    let creationMask: UInt32
    /// How finished files get their names here: learnt by the first file
    /// linked in (see `EntryCopier.link`), so no probe file is made.
    private let learntPlacement = Atomic<UInt8>(0)

    private let stopReason = Mutex<CopyFailure?>(nil)
    private let stopped = Atomic<Bool>(false)
    private let hardLinks: HardLinkRegistry
    private let finishes = Mutex<[DirectoryFinish]>([])
    private let verifiable = Mutex<[(source: FilePath, destination: FilePath)]>([])
    /// Device pairs (source, destination) where FICLONE or copy_file_range
    /// failed once: not tried again (cp tries FICLONE on every file).
    private let refusals = Mutex<[DevicePair: DataPath]>([:])
    /// Counts changes to `refusals`, so a thread can tell its cached answer is current.
    private let refusalGeneration = Atomic<Int>(0)
    private let temporaryCounter = Atomic<Int>(0)
    /// The top directory of the copy, which the source must not reach
    /// (through a followed link) or the copy would never end.
    private let destinationRoot = Mutex<FileIdentity?>(nil)
    /// A new tree being written under a temporary name (see `hideTree`).
    private let hiddenTree = Mutex<HiddenTree?>(nil)
    /// Whether `hiddenTree` is set and not yet published: read for every
    /// file, so without taking the lock.
    private let writingHidden = Atomic<Bool>(false)

    init(
        options: CopyOptions, onItem: (@Sendable (CopiedItem) -> Void)?,
        onError: @escaping @Sendable (CopyFailure) -> CopyErrorDecision
    ) {
        self.options = options
        self.onItem = onItem
        self.onError = onError
        self.queue = JobQueue(threads: max(1, options.concurrency)) { job in
            // Entries are created in their destination directory; listing creates nothing.
            if case .entries(let entries) = job { entries.destination?.descriptor } else { nil }
        }
        hardLinks = options.hardLinkRegistry ?? HardLinkRegistry()
        creationMask = Self.processUmask
    }

    /// The umask, read once per process (fsring never changes it).
    static let processUmask = currentUmask()

    /// The umask, read from /proc/self/status: umask(2) can only be read by
    /// setting it, which would briefly change it for every thread.
    static func currentUmask() -> UInt32 {
        let descriptor = open("/proc/self/status", O_RDONLY | O_CLOEXEC)
        if descriptor >= 0 {
            defer { close(descriptor) }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = read(descriptor, &buffer, buffer.count)
            let text = String(decoding: buffer[..<max(0, count)], as: UTF8.self)
            for line in text.split(separator: "\n") where line.hasPrefix("Umask:") {
                if let value = UInt32(line.dropFirst("Umask:".count).trimmingPrefix(while: \.isWhitespace), radix: 8) {
                    return value
                }
            }
        }
        let mask = umask(0o022)
        umask(mask)
        return UInt32(mask)
    }

    // MARK: Stopping and failures

    var isStopped: Bool { stopped.load(ordering: .relaxed) }
    var failureThatStopped: CopyFailure? { stopReason.withLock { $0 } }

    /// Counts and reports a failed entry; stops the run for failures that
    /// would repeat for every file (no space, read-only destination) or when
    /// the handler says so.
    func fail(_ failed: EntryError, source: FilePath) {
        counters.failed.add(1, ordering: .relaxed)
        let failure = CopyFailure(source: source, error: failed.error, detail: failed.detail)
        let fatal = [ENOSPC, EDQUOT, EROFS].contains(failed.error.code)
        if fatal || onError(failure) == .stop { stop(failure) }
    }

    func stop(_ failure: CopyFailure) {
        stopReason.withLock { if $0 == nil { $0 = failure } }
        stopped.store(true, ordering: .relaxed)
        queue.cancelWaiting()
    }

    func report(
        _ source: FilePath, _ destination: FilePath, _ type: FileType, _ outcome: CopiedItem.Outcome,
        backup: FilePath? = nil
    ) {
        onItem?(
            CopiedItem(
                source: DeferredPath(whole: source), destination: DeferredPath(whole: destination), type: type,
                outcome: outcome, backup: backup))
    }

    func report(_ context: EntryContext, _ type: FileType, _ outcome: CopiedItem.Outcome, backup: FilePath? = nil) {
        onItem?(
            CopiedItem(
                source: context.sourcePath, destination: context.destinationPath, type: type, outcome: outcome,
                backup: backup))
    }

    func setDestinationRoot(_ identity: FileIdentity) { destinationRoot.withLock { $0 = identity } }
    func isDestinationRoot(_ identity: FileIdentity) -> Bool { destinationRoot.withLock { $0 == identity } }

    // MARK: Placement

    /// How finished files get their names; nil until the first file learns it.
    var placement: Placement? { Placement(rawValue: learntPlacement.load(ordering: .relaxed)) }

    /// Threads learning at once learn the same answer, so the last one stored is as good as any.
    func learn(_ placement: Placement) { learntPlacement.store(placement.rawValue, ordering: .relaxed) }

    // MARK: Hard links

    /// Whether the file is the first of its hard-link group seen (and is to
    /// be copied), or a later one (and becomes a link once the copy is done).
    func claimHardLink(_ info: FileInfo, source: FilePath, destination: FilePath) -> Bool {
        hardLinks.table.withLock { $0.claim(info.identity, source: source, destination: destination) }
    }

    /// Records that the first of a group failed, so a later one is copied instead.
    func hardLinkLeaderFailed(_ info: FileInfo) {
        hardLinks.table.withLock { $0.leaderFailed(info.identity) }
    }

    /// Whether hard links wait to be made once every entry is copied.
    var hasHardLinkFollowers: Bool { hardLinks.table.withLock { $0.hasFollowers } }

    func takeHardLinkFollowers() -> [HardLinkTable.Follower] {
        hardLinks.table.withLock { $0.takeFollowers() }
    }

    // MARK: Directories, verification, data paths

    func finishLater(_ finish: DirectoryFinish) { finishes.withLock { $0.append(finish) } }
    func takeDirectoryFinishes() -> [DirectoryFinish] { finishes.withLock { $0 } }

    func verifyLater(_ context: EntryContext) {
        guard options.verify else { return }
        verifiable.withLock { $0.append((context.source, context.destination)) }
    }
    func takeVerifiable() -> [(source: FilePath, destination: FilePath)] { verifiable.withLock { $0 } }

    /// The way a device pair moved to, through the copy thread's cache: the
    /// shared table (a lock both threads take, and a hash) is read again
    /// only after it changed.
    func refusal(for pair: DevicePair, cachedIn scratch: Scratch) -> DataPath? {
        let generation = refusalGeneration.load(ordering: .acquiring)
        if let cached = scratch.refusal, cached.pair == pair, cached.generation == generation { return cached.way }
        let way = refusals.withLock { $0[pair] }
        scratch.refusal = (pair, way, generation)
        return way
    }
    func recordRefusal(_ path: DataPath, for pair: DevicePair) {
        refusals.withLock { $0[pair] = max($0[pair] ?? path, path) }
        refusalGeneration.add(1, ordering: .releasing)
    }

    // MARK: A new tree written under a temporary name

    /// A new destination tree is made under a temporary name beside its
    /// final one and renamed into place once every entry is written: until
    /// then nothing is under the final name at all, so each file can be
    /// created under its own name directly instead of unnamed (O_TMPFILE)
    /// and linked in: one call less per file, 4-10% of a small file's copy.
    func hideTree(at hidden: FilePath, until final: FilePath) {
        hiddenTree.withLock { $0 = HiddenTree(hidden: hidden, final: final) }
        writingHidden.store(true, ordering: .releasing)
    }

    /// Whether entries are being written into a tree not yet under its final name.
    var writesIntoHiddenTree: Bool { writingHidden.load(ordering: .acquiring) }

    /// Renames the hidden tree to its final name (if there is one), which
    /// must still be free. False when that failed (reported).
    func publishHiddenTree() -> Bool {
        guard let tree = hiddenTree.withLock({ $0 }) else { return true }
        writingHidden.store(false, ordering: .releasing)
        let renamed = tree.hidden.withPlatformString { hidden in
            tree.final.withPlatformString { fsr_renameat2(AT_FDCWD, hidden, AT_FDCWD, $0, FSR_RENAME_NOREPLACE) }
        }
        if renamed == 0 { return true }
        let code = errno
        counters.failed.add(1, ordering: .relaxed)
        stop(
            CopyFailure(
                source: tree.hidden, error: FileSystemError(code: code, operation: "rename", path: tree.final),
                detail: "the copy is complete under \(tree.hidden.quoted): \(ErrnoName.describe(code))"))
        return false
    }

    /// A name no other file of this run uses, for a file written before it
    /// gets its final name.
    func temporaryName() -> String {
        ".fsring-\(getpid())-\(temporaryCounter.wrappingAdd(1, ordering: .relaxed).oldValue).tmp"
    }

    /// Runs `make` under a temporary name (`named` makes it a path or a
    /// name from the bare one), and under the next while the name is
    /// taken: a killed run leaves its names behind, and a later process
    /// can have the same ID. The name taken; nil when `make` fails
    /// otherwise (errno says why), or 64 names in a row are taken.
    func underFreshTemporaryName<Name>(_ named: (String) -> Name, _ make: (Name) -> Bool) -> Name? {
        for _ in 0..<64 {
            let name = named(temporaryName())
            if make(name) { return name }
            if errno != EEXIST { return nil }
        }
        return nil
    }
}

/// A failed step of one entry's copy.
struct EntryError: Error {
    var error: FileSystemError
    var detail: String?

    init(_ error: FileSystemError, detail: String? = nil) {
        self.error = error
        self.detail = detail
    }

    /// The failure of a call that just set errno.
    static func last(_ operation: String, _ path: FilePath?, _ secondPath: FilePath? = nil) -> EntryError {
        EntryError(FileSystemError(code: errno, operation: operation, path: path, secondPath: secondPath))
    }

    static func code(_ code: Int32, _ operation: String, _ path: FilePath?, detail: String? = nil) -> EntryError {
        EntryError(FileSystemError(code: code, operation: operation, path: path), detail: detail)
    }
}

/// How a finished file gets its final name.
enum Placement: UInt8, Sendable {
    /// Written unnamed (O_TMPFILE), then linked with linkat(AT_EMPTY_PATH),
    /// which older kernels refuse (ENOENT) unless the caller has
    /// CAP_DAC_READ_SEARCH.
    case unnamedLinkedByDescriptor = 1
    /// Written unnamed, then linked through /proc/self/fd.
    case unnamedLinkedThroughProc
    /// Written under a temporary name, then renamed: where the file system
    /// has no O_TMPFILE, or neither way of linking works.
    case temporaryName
}

/// Ways to move data, fastest first; a refusal of one moves a device pair to the next.
enum DataPath: Int, Comparable {
    case clone, copyRange, readWrite
    static func < (lhs: DataPath, rhs: DataPath) -> Bool { lhs.rawValue < rhs.rawValue }
}

struct DevicePair: Hashable {
    var source: UInt64
    var destination: UInt64
}

/// Counters updated by every thread.
final class CopyCounters: Sendable {
    let files = Atomic<Int>(0)
    let directories = Atomic<Int>(0)
    let symbolicLinks = Atomic<Int>(0)
    let hardLinks = Atomic<Int>(0)
    let specialFiles = Atomic<Int>(0)
    let bytes = Atomic<UInt64>(0)
    let skipped = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
    let verified = Atomic<Int>(0)
    let totalFiles = Atomic<Int>(0)
    let totalBytes = Atomic<UInt64>(0)
    let totalsKnown = Atomic<Bool>(false)

    func summary(elapsed: Duration) -> CopySummary {
        var summary = CopySummary()
        summary.files = files.load(ordering: .relaxed)
        summary.directories = directories.load(ordering: .relaxed)
        summary.symbolicLinks = symbolicLinks.load(ordering: .relaxed)
        summary.hardLinks = hardLinks.load(ordering: .relaxed)
        summary.specialFiles = specialFiles.load(ordering: .relaxed)
        summary.bytes = bytes.load(ordering: .relaxed)
        summary.skipped = skipped.load(ordering: .relaxed)
        summary.failed = failed.load(ordering: .relaxed)
        summary.verified = verified.load(ordering: .relaxed)
        summary.elapsed = elapsed
        return summary
    }
}

/// The hard-link groups met so far: which copy the others link to.
struct HardLinkTable {
    struct Follower {
        var identity: FileIdentity
        var source: FilePath
        var destination: FilePath
        /// The copy to link to; nil when every earlier member failed.
        var leader: FilePath?
    }
    private var leaders: [FileIdentity: (source: FilePath, destination: FilePath, failed: Bool)] = [:]
    private var followers: [Follower] = []

    mutating func claim(_ identity: FileIdentity, source: FilePath, destination: FilePath) -> Bool {
        if leaders[identity] == nil {
            leaders[identity] = (source, destination, false)
            return true
        }
        followers.append(Follower(identity: identity, source: source, destination: destination, leader: nil))
        return false
    }

    mutating func leaderFailed(_ identity: FileIdentity) { leaders[identity]?.failed = true }

    var hasFollowers: Bool { !followers.isEmpty }

    mutating func takeFollowers() -> [Follower] {
        defer { followers = [] }
        return followers.map { follower in
            var follower = follower
            if let leader = leaders[follower.identity], !leader.failed { follower.leader = leader.destination }
            return follower
        }
    }
}

/// A directory whose metadata is set once everything inside it is copied
/// (its times would otherwise change with every entry made in it).
struct DirectoryFinish: Sendable {
    var source: FilePath
    var destination: FilePath
    var info: FileInfo
    /// The copy's owner when it was opened, so chown runs only when it
    /// would change something; nil when not known.
    var destinationOwner: FileOwner? = nil
    /// The copy's ACLs when it was opened (its own, or inherited at birth).
    var destinationACLs: ACLKinds = []
}

/// A new destination tree and the name it is written under until it is complete.
struct HiddenTree: Sendable {
    var hidden: FilePath
    var final: FilePath
}

/// A user and group, as chown takes them.
struct FileOwner: Equatable, Sendable {
    var user: UInt32
    var group: UInt32
}
