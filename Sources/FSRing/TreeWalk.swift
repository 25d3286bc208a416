internal import CURing
import Synchronization
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// One item of a tree walk: an entry found, or a place the walk could not go.
public struct WalkEntry: Sendable {
    /// The entry's path: the root joined with the names below it, byte for byte.
    public var path: FilePath
    /// Its type; for a followed symbolic link, the type of the target.
    public var type: FileType
    /// 0 for the root, 1 for the root's entries, and so on.
    public var depth: Int
    /// True when `path` itself is a symbolic link that was followed.
    public var isFollowedSymbolicLink: Bool
    /// Set when this entry could not be read or walked into (unreadable,
    /// vanished, a symbolic-link loop); the walk goes on without it.
    public var error: FileSystemError?
}

/// What a filter decides for one entry.
public enum WalkDecision: Sendable {
    /// Report the entry and, if it is a directory, walk into it.
    case include
    /// Report the entry but do not walk into it.
    case includeWithoutDescending
    /// Neither report nor walk into it.
    case skip
}

/// Chooses which entries a walk reports and enters. The filter for a
/// directory's contents may differ from its parent's, which is how rules
/// read from each directory (e.g. `.gitignore`) take effect.
public protocol TreeWalkFilter: Sendable {
    func decide(_ entry: WalkEntry) -> WalkDecision
    /// The filter for the contents of `directory`; by default this one.
    func filter(forContentsOf directory: WalkEntry, in fileSystem: FileSystem) async -> any TreeWalkFilter
}

extension TreeWalkFilter {
    public func filter(forContentsOf directory: WalkEntry, in fileSystem: FileSystem) async -> any TreeWalkFilter {
        self
    }
}

/// A filter from a closure.
public struct WalkFilter: TreeWalkFilter {
    private let decision: @Sendable (WalkEntry) -> WalkDecision
    public init(_ decision: @escaping @Sendable (WalkEntry) -> WalkDecision) { self.decision = decision }
    public func decide(_ entry: WalkEntry) -> WalkDecision { decision(entry) }
}

/// How a tree walk proceeds.
public struct TreeWalkOptions: Sendable {
    /// Follow symbolic links to directories (loops are reported as ELOOP errors).
    public var followSymbolicLinks = false
    /// Follow the root itself when it is a symbolic link, but no link below
    /// it (as `find -H` does with the paths it is given).
    public var followRootSymbolicLink = false
    /// Do not walk into directories on other file systems (mount points are reported).
    public var stayOnFileSystem = false
    /// Deepest level reported (the root is 0); nil for no limit.
    public var maximumDepth: Int? = nil
    /// Directories read at once.
    public var concurrentDirectories = 16
    /// Decides what is reported and entered.
    public var filter: (any TreeWalkFilter)? = nil

    public init() {}
}

/// The entries below a root, as an `AsyncSequence`. Directories are read in
/// parallel, so entries arrive in no fixed order, except that a directory is
/// always reported before anything inside it.
public struct TreeWalk: AsyncSequence, Sendable {
    public typealias Element = WalkEntry
    let root: FilePath
    let options: TreeWalkOptions
    let fileSystem: FileSystem

    /// Entries arrive a directory at a time (one hand-over per directory,
    /// not per entry) and are handed out one by one.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncStream<[WalkEntry]>.Iterator
        var pending: [WalkEntry] = []
        var position = 0

        public mutating func next() async -> WalkEntry? {
            while position == pending.count {
                guard let batch = await base.next() else { return nil }
                pending = batch
                position = 0
            }
            defer { position += 1 }
            return pending[position]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        let (stream, continuation) = AsyncStream<[WalkEntry]>.makeStream()
        let producer = Task {
            await TreeWalker(options: options, fileSystem: fileSystem, output: continuation).walk(root)
            continuation.finish()
        }
        continuation.onTermination = { _ in producer.cancel() }
        return AsyncIterator(base: stream.makeAsyncIterator())
    }
}

extension FileSystem {
    /// Walks the tree at `root`, reporting `root` itself first.
    public func walk(at root: FilePath, options: TreeWalkOptions = TreeWalkOptions()) -> TreeWalk {
        TreeWalk(root: root, options: options, fileSystem: self)
    }
}

extension FileSystem {
    /// The types of many paths named at once (following a final link with
    /// `followLinks`), looked up as `infos(of:followLinks:)` does; nil where
    /// the lookup failed. For sorting out files named by the thousand before
    /// walking.
    package func types(of paths: [FilePath], followLinks: Bool) async -> [FileType?] {
        await infos(of: PathList(paths), followLinks: followLinks).map { $0?.type }
    }

    /// What `paths` are (following a final link with `followLinks`); nil
    /// where the lookup failed. Looked up in jobs of the blocking pool of
    /// at most 4,096 paths (at least two jobs for more than 512 paths), its
    /// threads working side by side: the Linux tree's 78,579 files named in
    /// five calls (`xargs -s 2000000 fsring hash`) took 0.94 s with one job
    /// per call, 0.77-0.82 s so.
    package func infos(of paths: PathList, followLinks: Bool) async -> [FileInfo?] {
        let perJob = min(4096, max(256, (paths.count + 1) / 2))
        guard paths.count > perJob else { return await io.infos(of: paths, 0..<paths.count, followLinks: followLinks) }
        var results = [FileInfo?](repeating: nil, count: paths.count)
        await withTaskGroup(of: (Int, [FileInfo?]).self) { group in
            for start in stride(from: 0, to: paths.count, by: perJob) {
                group.addTask {
                    (
                        start,
                        await io.infos(of: paths, start..<min(start + perJob, paths.count), followLinks: followLinks)
                    )
                }
            }
            for await (start, infos) in group { results.replaceSubrange(start..<start + infos.count, with: infos) }
        }
        return results
    }

    /// Walks the tree at `root` as `walk(at:options:)` does, but keeps the
    /// regular files found as bytes, without a `WalkEntry` or `FilePath`
    /// each: every other entry (directories, links, special files, errors)
    /// comes back as an entry. For collecting the files of large trees
    /// (`fsring hash`); the options' filter, if any, is not consulted for
    /// regular files.
    package func collectFiles(at root: FilePath, options: TreeWalkOptions = TreeWalkOptions()) async -> (
        files: PathList, others: [WalkEntry]
    ) {
        let sink = FileSink()
        let (stream, continuation) = AsyncStream<[WalkEntry]>.makeStream()
        let walker = TreeWalker(options: options, fileSystem: self, output: continuation, files: sink)
        async let walked: Void = {
            await walker.walk(root)
            continuation.finish()
        }()
        var others: [WalkEntry] = []
        for await batch in stream { others += batch }
        await walked
        return (sink.take(), others)
    }
}

/// Regular files found by a walk, as bytes, a directory's at a time.
final class FileSink: Sendable {
    private let files = Mutex(PathList())

    func add(_ more: PathList) { files.withLock { $0.append(contentsOf: more) } }
    func add(_ path: FilePath) { files.withLock { $0.append(path) } }
    func take() -> PathList { files.withLock { $0 } }
}

/// The walk itself: a bounded number of directory reads in flight.
private struct TreeWalker: Sendable {
    let options: TreeWalkOptions
    let fileSystem: FileSystem
    let output: AsyncStream<[WalkEntry]>.Continuation
    /// Where regular files go instead of `output` (see `collectFiles`).
    var files: FileSink? = nil

    struct PendingDirectory: Sendable {
        var entry: WalkEntry
        var ancestors: [FileIdentity]
        var parentFilter: (any TreeWalkFilter)?
    }

    func walk(_ root: FilePath) async {
        let info: FileInfo
        do {
            let follow = options.followSymbolicLinks || options.followRootSymbolicLink
            info = try await fileSystem.io.info(root, at: FSR_AT_FDCWD, flags: follow ? 0 : FSR_AT_SYMLINK_NOFOLLOW)
        } catch {
            output.yield([
                WalkEntry(path: root, type: .unknown, depth: 0, isFollowedSymbolicLink: false, error: asError(error))
            ])
            return
        }
        let rootEntry = WalkEntry(path: root, type: info.type, depth: 0, isFollowedSymbolicLink: false, error: nil)
        if let filter = options.filter, filter.decide(rootEntry) == .skip { return }
        if let files, rootEntry.type == .regular {
            files.add(root)
        } else {
            output.yield([rootEntry])
        }
        guard info.type == .directory, options.maximumDepth.map({ $0 > 0 }) ?? true else { return }
        let rootDevice = (info.deviceMajor, info.deviceMinor)

        await withTaskGroup(of: [PendingDirectory].self) { group in
            var queue = [PendingDirectory(entry: rootEntry, ancestors: [], parentFilter: options.filter)]
            var active = 0
            while true {
                let tasks = max(1, options.concurrentDirectories)
                while active < tasks, !queue.isEmpty {
                    // Once many directories wait, each task lists several in
                    // one hand-over to the blocking pool: the hand-over there
                    // and back costs more than listing a small directory.
                    let count = min(queue.count, max(1, min(Self.directoriesPerTask, queue.count / tasks)))
                    let next = Array(queue.suffix(count))
                    queue.removeLast(count)
                    group.addTask { await read(next, rootDevice: rootDevice) }
                    active += 1
                }
                guard active > 0, let children = await group.next() else { break }
                active -= 1
                if Task.isCancelled { continue }
                queue.append(contentsOf: children)
            }
        }
    }

    private func asError(_ error: any Error) -> FileSystemError {
        error as? FileSystemError ?? FileSystemError(code: ECANCELED, operation: "walk")
    }

    private func failure(_ directory: PendingDirectory, _ error: FileSystemError) {
        var entry = directory.entry
        entry.error = error
        output.yield([entry])
    }

    /// Most directories one task lists at once.
    static let directoriesPerTask = 8

    /// Lists directories, reports their entries, returns the directories to read next.
    private func read(_ directories: [PendingDirectory], rootDevice: (UInt32, UInt32)) async -> [PendingDirectory] {
        let listings = await fileSystem.io.listChildren(directories.map(\.entry.path))
        if Task.isCancelled { return [] }
        var next: [PendingDirectory] = []
        for (directory, listing) in zip(directories, listings) {
            switch listing {
            case .success(let listing): next += await read(directory, listing, rootDevice: rootDevice)
            case .failure(let error): failure(directory, error)
            }
        }
        return next
    }

    /// Reports one listed directory's entries, returns the directories to read next.
    private func read(
        _ directory: PendingDirectory, _ listing: ChildListing, rootDevice: (UInt32, UInt32)
    ) async -> [PendingDirectory] {
        let path = directory.entry.path
        let identity = listing.info.identity
        if options.stayOnFileSystem && (listing.info.deviceMajor, listing.info.deviceMinor) != rootDevice {
            return []
        }
        if directory.ancestors.contains(identity) {
            failure(directory, FileSystemError(code: ELOOP, operation: "walk", path: path))
            return []
        }
        var filter = directory.parentFilter
        if let parentFilter = directory.parentFilter, directory.entry.depth > 0 {
            filter = await parentFilter.filter(forContentsOf: directory.entry, in: fileSystem)
        }
        let ancestors = directory.ancestors + [identity]
        let depth = directory.entry.depth + 1
        var next: [PendingDirectory] = []
        var batch: [WalkEntry] = []
        // Regular files as bytes, when collecting them (see `collectFiles`).
        var regular = PathList()
        defer {
            if !batch.isEmpty { output.yield(batch) }
            if !regular.isEmpty { files?.add(regular) }
        }
        if Task.isCancelled { return [] }
        for (index, type) in listing.types.enumerated() {
            if files != nil && type == .regular {
                listing.paths.withBytes(of: index) { regular.append(bytes: $0) }
                continue
            }
            var entry = WalkEntry(
                path: listing.paths[index], type: type, depth: depth, isFollowedSymbolicLink: false, error: nil)
            if entry.type == .unknown || (entry.type == .symbolicLink && options.followSymbolicLinks) {
                let follow = options.followSymbolicLinks
                do {
                    let info = try await fileSystem.io.info(
                        entry.path, at: FSR_AT_FDCWD, flags: follow ? 0 : FSR_AT_SYMLINK_NOFOLLOW)
                    entry.isFollowedSymbolicLink = entry.type == .symbolicLink && info.type != .symbolicLink
                    entry.type = info.type
                } catch let error as FileSystemError where error.code == ENOENT && entry.type == .symbolicLink {
                    // A dangling link: reported as the link itself.
                } catch {
                    entry.error = asError(error)
                    batch.append(entry)
                    continue
                }
            }
            let decision = filter?.decide(entry) ?? .include
            if decision == .skip { continue }
            batch.append(entry)
            if decision == .include && entry.type == .directory && options.maximumDepth.map({ depth < $0 }) ?? true {
                next.append(PendingDirectory(entry: entry, ancestors: ancestors, parentFilter: filter))
            }
        }
        return next
    }
}
