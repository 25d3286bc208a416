internal import CURing
import FSRing
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// One entry to copy: where it is and where it goes. Names are relative to
/// the open directories (or whole paths under AT_FDCWD).
///
/// The whole paths are put together only when asked for (messages,
/// reports, hard links, verification): building two paths for every file
/// cost more user time than any system call fsring makes for it.
struct EntryContext {
    var sourceDirectory: Int32
    var sourceName: RawName
    /// The path of `sourceDirectory`; nil when `sourceName` is the whole path.
    var sourceParent: FilePath?
    /// -1 in a dry run whose destination directory does not exist.
    var destinationDirectory: Int32
    var destinationName: RawName
    /// The path of `destinationDirectory`; nil when `destinationName` is the whole path.
    var destinationParent: FilePath?
    /// Nothing can be in the way at the destination.
    var destinationIsNew: Bool
    /// Who owns the copy: for a new entry the copier, with the group new
    /// entries get in its directory; nil when not known. Ownership is set
    /// only when it differs from the source's.
    var copyOwner: FileOwner?
    var destinationDevice: UInt64
    var followLink: Bool
    /// The ACLs an entry made at the destination is born with, from its
    /// directory's default ACL.
    var inheritedACLs: ACLKinds = []
    /// Whether this entry takes part in hard-link detection (false when it
    /// is copied late because the first of its group failed).
    var detectsHardLinks = true
    /// The rest of this entry's job, for a large file to hand back before it starts.
    var remainder: JobRemainder? = nil

    var sourcePath: DeferredPath { DeferredPath(sourceParent, sourceName) }
    var destinationPath: DeferredPath { DeferredPath(destinationParent, destinationName) }
    var source: FilePath { sourcePath.whole }
    var destination: FilePath { destinationPath.whole }
}

/// The entries of a job not yet started, which go back to the queue for
/// idle threads to take: when the job has run its time slice, or before a
/// large file starts (its copy would keep them waiting). One per job.
final class JobRemainder {
    private let job: EntriesJob
    /// The first entry not yet started.
    var next: Int
    private(set) var handedBack = false

    init(_ job: EntriesJob) {
        self.job = job
        next = job.entries.startIndex
    }

    func handBack(to queue: JobQueue<CopyJob>) {
        guard !handedBack, next < job.entries.endIndex else { return }
        var rest = job
        rest.entries = job.entries[next...]
        queue.add([.entries(rest)])
        handedBack = true
    }
}

/// Copies entries on one copy thread, with that thread's buffers.
struct EntryCopier {
    let run: CopyRun
    let scratch: Scratch

    var options: CopyOptions { run.options }

    /// How long a job runs before it hands its remaining entries back to
    /// the queue, so idle threads can take them (a directory of a few large
    /// files would otherwise be copied by one thread).
    static let jobSlice = Duration.milliseconds(2)

    func copy(_ job: EntriesJob) {
        let clock = ContinuousClock()
        let deadline = clock.now + Self.jobSlice
        let remainder = JobRemainder(job)
        for index in job.entries.indices {
            if run.isStopped { return }
            // The clock is read every eighth entry: for every one, it took 2% of the copy's user time.
            if index > job.entries.startIndex && index & 7 == 0 && clock.now > deadline {
                remainder.handBack(to: run.queue)
            }
            if remainder.handedBack { return }
            remainder.next = index + 1
            let entry = job.entries[index]
            let destinationName = entry.destinationName ?? entry.name
            let context = EntryContext(
                sourceDirectory: job.source.descriptor, sourceName: entry.name, sourceParent: job.source.path,
                destinationDirectory: job.destination?.descriptor ?? -1, destinationName: destinationName,
                destinationParent: job.destinationPath,
                destinationIsNew: job.destination?.isNew ?? true,
                copyOwner: FileOwner(user: run.effectiveUser, group: job.destination?.groupOfNewFiles ?? getegid()),
                destinationDevice: job.destination?.info.fileSystem ?? 0,
                followLink: entry.followLink || options.followSymbolicLinks,
                inheritedACLs: ACLKinds.inherited(from: job.destination?.acls ?? [], isDirectory: false),
                remainder: remainder)
            do throws(EntryError) {
                try copy(entry.type, context, job: job)
            } catch {
                // A copy cut short because the run stopped is not a failure of its own.
                if error.error.code == ECANCELED && run.isStopped { return }
                run.fail(error, source: context.source)
            }
        }
    }

    private func copy(_ listedType: FileType, _ context: EntryContext, job: EntriesJob) throws(EntryError) {
        var type = listedType
        // With -L (or for a link named on the command line) the link's target is copied.
        if type == .symbolicLink && context.followLink { type = .unknown }
        if type == .unknown {
            guard let info = lookup(context, follow: context.followLink) else { throw .last("statx", context.source) }
            type = info.type
        }
        if options.linkInsteadOfCopying && type != .directory { return try linkEntry(context) }
        if options.symbolicLinkInsteadOfCopying && type != .directory { return try symbolicLinkEntry(context) }
        switch type {
        case .directory:
            try makeDirectory(context, job: job)
        case .regular:
            try copyFile(context)
        case .symbolicLink:
            try copySymbolicLink(context)
        case .fifo, .characterDevice, .blockDevice:
            try makeSpecialFile(context)
        case .socket:
            run.counters.skipped.add(1, ordering: .relaxed)
            run.report(context, .socket, .skipped("a socket cannot be copied"))
        case .unknown:
            throw .code(EINVAL, "copy", context.source, detail: "unknown file type")
        }
    }

    func lookup(_ context: EntryContext, follow: Bool) -> FileInfo? {
        context.sourceName.withCString {
            FileInfo.blockingLookup(context.sourceDirectory, $0, followLinks: follow)
        }
    }

    /// What is at the destination name, when something may be.
    func existing(_ context: EntryContext) -> FileInfo? {
        // (A whole path is looked up from AT_FDCWD; -1 is a dry run's directory that does not exist.)
        guard !context.destinationIsNew, context.destinationDirectory != -1 else { return nil }
        return context.destinationName.withCString {
            FileInfo.blockingLookup(context.destinationDirectory, $0, followLinks: false)
        }
    }

    /// What the overwrite policy found at an entry's destination name,
    /// when it lets the copy go on.
    enum Replacing {
        case nothing
        /// An entry of this type (not a directory), which the copy replaces.
        case entry(FileType)
    }

    /// Applies the overwrite policy to a non-directory about to be copied:
    /// what it replaces, or nil when the existing entry is kept.
    func mayReplace(_ context: EntryContext, source info: FileInfo) throws(EntryError) -> Replacing? {
        guard let existing = existing(context) else { return .nothing }
        // With -l the source's own inode there is the copy, made before.
        if options.linkInsteadOfCopying && existing.identity == info.identity {
            skip(context, info.type, "already a link to it")
            return nil
        }
        // With --backup what is there is kept under its backup name, so
        // nothing is lost (cp allows it too).
        if options.backup == nil && (existing.identity == info.identity || linkLeads(context, info, to: existing)) {
            throw .code(EINVAL, "copy", context.source, detail: "\(context.destination.quoted) is the same file")
        }
        if existing.type == .directory {
            throw .code(
                EISDIR, "copy", context.destination, detail: "cannot overwrite a directory with a non-directory")
        }
        switch options.overwrite {
        case .replace:
            return confirmed(context, info.type, replacing: existing.type)
        case .keepExisting, .keepExistingAsFailure:
            try keepExisting(context, info.type)
            return nil
        case .replaceOlder:
            if existing.lastModified >= info.lastModified {
                skip(context, info.type, "not older than the source")
                return nil
            }
            return confirmed(context, info.type, replacing: existing.type)
        }
    }

    /// Replacing the entry in the way, once `-i`'s question is answered yes.
    private func confirmed(_ context: EntryContext, _ type: FileType, replacing existing: FileType) -> Replacing? {
        guard !options.dryRun, let confirm = options.confirmReplacing else { return .entry(existing) }
        if confirm(context.source, context.destination) { return .entry(existing) }
        skip(context, type, "not confirmed")
        return nil
    }

    /// Whether the source, a symbolic link copied as a link, leads to the
    /// file it would replace: the file's only name could become a link to
    /// itself, its contents lost. cp refuses this too ("are the same file").
    /// (A link in the way is itself replaced, never followed, so it is no
    /// such case.)
    private func linkLeads(_ context: EntryContext, _ info: FileInfo, to existing: FileInfo) -> Bool {
        guard info.type == .symbolicLink, existing.type != .symbolicLink else { return false }
        return lookup(context, follow: true)?.identity == existing.identity
    }

    /// Leaves what is at the entry's name alone, as the overwrite policy
    /// says: skipped, or reported as a failure.
    func keepExisting(_ context: EntryContext, _ type: FileType) throws(EntryError) {
        if options.overwrite == .keepExistingAsFailure {
            throw .code(EEXIST, "copy", context.destination, detail: "exists; not replaced")
        }
        skip(context, type, "exists")
    }

    func skip(_ context: EntryContext, _ type: FileType, _ reason: String) {
        run.counters.skipped.add(1, ordering: .relaxed)
        run.report(context, type, .skipped(reason))
    }

    /// Whether the entry is a later member of a hard-link group, to be
    /// linked once the first member is copied.
    func isDeferredHardLink(_ context: EntryContext, _ info: FileInfo) -> Bool {
        guard context.detectsHardLinks, options.preserve.contains(.links), info.linkCount > 1 else { return false }
        return !run.claimHardLink(info, source: context.source, destination: context.destination)
    }

    // MARK: Directories

    private func makeDirectory(_ context: EntryContext, job: EntriesJob) throws(EntryError) {
        var isNew = true
        var isLink = false
        if options.dryRun {
            if let existing = existing(context) {
                isLink = try isDirectoryOrLinkToOne(existing, context)
                isNew = false
            }
        } else {
            let made = context.destinationName.withCString { mkdirat(context.destinationDirectory, $0, 0o700) }
            if made != 0 {
                guard errno == EEXIST else { throw .last("mkdir", context.destination) }
                let existing = context.destinationName.withCString {
                    FileInfo.blockingLookup(context.destinationDirectory, $0, followLinks: false)
                }
                guard let existing else { throw nonDirectoryInTheWay(context) }
                isLink = try isDirectoryOrLinkToOne(existing, context)
                isNew = false
            }
        }
        run.counters.directories.add(1, ordering: .relaxed)
        run.report(context, .directory, options.dryRun ? .wouldCopy : isNew ? .copied : .merged)
        let directory = DirectoryJob(
            name: context.sourceName, sourceParent: job.source, destinationParent: job.destination,
            source: context.source, destination: context.destination, depth: job.depth + 1, destinationIsNew: isNew,
            followLink: context.followLink, ancestors: job.ancestors,
            parentFileSystem: job.source.info.fileSystem, destinationIsLink: isLink)
        run.queue.add([.directory(directory)])
    }

    /// Whether the entry in the way of a directory's copy is a link to a
    /// directory that `keepsDirectoryLinks` lets the copy go into (true),
    /// or a directory (false); anything else is refused.
    private func isDirectoryOrLinkToOne(_ existing: FileInfo, _ context: EntryContext) throws(EntryError) -> Bool {
        if existing.type == .directory { return false }
        guard options.keepsDirectoryLinks, existing.type == .symbolicLink,
            context.destinationName.withCString({
                FileInfo.blockingLookup(context.destinationDirectory, $0, followLinks: true)
            })?.type == .directory
        else { throw nonDirectoryInTheWay(context) }
        return true
    }

    private func nonDirectoryInTheWay(_ context: EntryContext) -> EntryError {
        .code(ENOTDIR, "mkdir", context.destination, detail: "cannot overwrite a non-directory with a directory")
    }

    // MARK: Symbolic links and special files

    private func copySymbolicLink(_ context: EntryContext) throws(EntryError) {
        guard let info = lookup(context, follow: false) else { throw .last("statx", context.source) }
        if isDeferredHardLink(context, info) { return }
        let target = try readLink(context)
        guard try mayReplace(context, source: info) != nil else { return }
        if options.dryRun { return wouldCopy(context, info) }
        let made = try create(context, .symbolicLink, "symlink") { directory, name in
            target.withCString { symlinkat($0, directory, name) }
        }
        guard let made else { return }
        try Attributes(run: run, scratch: scratch).apply(info, at: context, isLink: true)
        run.counters.symbolicLinks.add(1, ordering: .relaxed)
        run.report(context, .symbolicLink, .copied, backup: made.backup)
    }

    /// The link's target byte for byte: as a `FilePath` it lost repeated
    /// and trailing slashes (`a//b/` became `a/b`), which cp keeps.
    private func readLink(_ context: EntryContext) throws(EntryError) -> RawName {
        let buffer = scratch.pathBuffer
        let count = context.sourceName.withCString {
            readlinkat(context.sourceDirectory, $0, buffer.baseAddress!, buffer.count - 1)
        }
        guard count >= 0 else { throw .last("readlink", context.source) }
        return RawName(buffer.baseAddress!, length: count)
    }

    private func makeSpecialFile(_ context: EntryContext) throws(EntryError) {
        guard let info = lookup(context, follow: context.followLink) else { throw .last("statx", context.source) }
        if isDeferredHardLink(context, info) { return }
        guard try mayReplace(context, source: info) != nil else { return }
        if options.dryRun { return wouldCopy(context, info) }
        // The kernel applies the umask; without `mode`, that is all the node gets.
        let permissions = options.preserve.contains(.mode) ? info.permissions & 0o777 : 0o666
        let mode = (info.mode & 0o170000) | permissions
        let made = try create(context, info.type, "mknod") { directory, name in
            fsr_mknodat(directory, name, mode, info.specialDeviceMajor, info.specialDeviceMinor)
        }
        guard let made else { return }
        try Attributes(run: run, scratch: scratch).apply(info, at: context, isLink: false)
        run.counters.specialFiles.add(1, ordering: .relaxed)
        run.report(context, info.type, .copied, backup: made.backup)
    }

    /// An entry made under its final name.
    struct Made {
        /// Where what it replaced was kept (`--backup`).
        var backup: FilePath?
    }

    /// Creates a link or node under its name; when something is there
    /// already (and may be replaced), under a temporary name that is then
    /// renamed over it, once what is there is backed up (`--backup`). Nil
    /// when `--no-clobber` keeps what is there.
    func create(
        _ context: EntryContext, _ type: FileType, _ operation: String,
        _ make: (Int32, UnsafePointer<CChar>) -> Int32
    ) throws(EntryError) -> Made? {
        let directory = context.destinationDirectory
        if context.destinationName.withCString({ make(directory, $0) }) == 0 { return Made() }
        guard errno == EEXIST else { throw .last(operation, context.destination) }
        if options.overwrite.keepsExisting {
            try keepExisting(context, type)
            return nil
        }
        let temporary = underFreshTemporaryName(beside: context) { name in
            name.withCString { make(directory, $0) } == 0
        }
        guard let temporary else { throw .last(operation, context.destination) }
        return Made(backup: try backUp(context, thenRename: temporary))
    }

    /// Backs up the entry in the way (`--backup`), then renames the finished
    /// `temporary` over the entry's name; what is left of `temporary` when
    /// either fails is removed. Returns where the backup went.
    func backUp(_ context: EntryContext, thenRename temporary: RawName) throws(EntryError) -> FilePath? {
        let backup: FilePath?
        do throws(EntryError) {
            backup = try backUpEntryInTheWay(context)
        } catch {
            _ = temporary.withCString { unlinkat(context.destinationDirectory, $0, 0) }
            throw error
        }
        try rename(temporary, over: context)
        return backup
    }

    /// Runs `make` under a temporary name beside the entry, in the same
    /// directory (the final rename must not cross file systems), passing
    /// over names taken (see `CopyRun.underFreshTemporaryName`).
    func underFreshTemporaryName(beside context: EntryContext, _ make: (RawName) -> Bool) -> RawName? {
        let directory = context.destinationName.path.removingLastComponent()
        return run.underFreshTemporaryName({ RawName(directory.appending($0)) }, make)
    }

    /// Renames a finished temporary entry to the entry's final name.
    func rename(_ temporary: RawName, over context: EntryContext) throws(EntryError) {
        let directory = context.destinationDirectory
        let renamed = temporary.withCString { from in
            context.destinationName.withCString { renameat(directory, from, directory, $0) }
        }
        if renamed != 0 {
            let failure = EntryError.last("rename", context.destination)
            _ = temporary.withCString { unlinkat(directory, $0, 0) }
            throw failure
        }
    }

    func wouldCopy(_ context: EntryContext, _ info: FileInfo) {
        switch info.type {
        case .regular:
            run.counters.files.add(1, ordering: .relaxed)
            run.counters.bytes.add(info.size, ordering: .relaxed)
        case .symbolicLink: run.counters.symbolicLinks.add(1, ordering: .relaxed)
        default: run.counters.specialFiles.add(1, ordering: .relaxed)
        }
        run.report(context, info.type, .wouldCopy)
    }
}

/// Buffers one copy thread reuses for every file.
final class Scratch {
    private var dataStorage: UnsafeMutableRawBufferPointer?
    /// For reads and writes where the kernel cannot copy by itself; made on first use.
    var data: UnsafeMutableRawBufferPointer {
        if let dataStorage { return dataStorage }
        let made = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
        dataStorage = made
        return made
    }
    /// Link targets (PATH_MAX).
    let pathBuffer = UnsafeMutableBufferPointer<CChar>.allocate(capacity: 4097)
    /// Extended attribute names and values: 64 KiB each, Linux's limits
    /// (XATTR_LIST_MAX and XATTR_SIZE_MAX).
    let attributeNames = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 8)
    let attributeValue = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 8)
    /// The last answer from `CopyRun.refusal(for:cachedIn:)`.
    var refusal: (pair: DevicePair, way: DataPath?, generation: Int)?

    deinit {
        dataStorage?.deallocate()
        pathBuffer.deallocate()
        attributeNames.deallocate()
        attributeValue.deallocate()
    }
}
