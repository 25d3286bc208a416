internal import CURing
import FSRing
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

extension EntryCopier {
    /// Files this large hand the rest of their job to other threads first.
    static let largeFile: UInt64 = 1 << 20

    /// Copies a regular file: written unnamed (or under a temporary name),
    /// given its metadata, and only then linked under its final name, so an
    /// interrupted copy never leaves a truncated file where a complete one
    /// is expected.
    func copyFile(_ context: EntryContext) throws(EntryError) {
        // O_NONBLOCK: if the entry was swapped for a FIFO since it was
        // listed, the open must not wait for a writer.
        let flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (context.followLink ? 0 : O_NOFOLLOW)
        let source = context.sourceName.withCString { openat(context.sourceDirectory, $0, flags) }
        guard source >= 0 else { throw .last("open", context.source) }
        defer { close(source) }
        guard let info = FileInfo.blockingLookup(source, "", followLinks: false) else {
            throw .last("statx", context.source)
        }
        guard info.type == .regular else {
            throw .code(EINVAL, "copy", context.source, detail: "became a \(info.type) during the copy")
        }
        if isDeferredHardLink(context, info) { return }
        if info.size >= Self.largeFile { context.remainder?.handBack(to: run.queue) }
        var placed = false
        defer { if !placed && context.detectsHardLinks && info.linkCount > 1 { run.hardLinkLeaderFailed(info) } }
        guard let replacing = try mayReplace(context, source: info) else { return }
        if options.dryRun {
            wouldCopy(context, info)
            placed = true
            return
        }
        if options.attributesOnly, case .entry(.regular) = replacing {
            try giveAttributes(of: source, info, toFileAt: context)
            placed = true
            run.counters.files.add(1, ordering: .relaxed)
            run.report(context, .regular, .copied)
            return
        }
        let createdMode = options.preserve.contains(.mode) ? info.permissions & 0o777 : 0o666
        var outcome = try write(source, info: info, createdMode: createdMode, replacing: replacing, context: context)
        if case .cannotLink = outcome {
            // The first file found that an unnamed file cannot be linked in
            // here; it is written again under a temporary name, as the rest
            // will be. Its bytes were counted the first time.
            guard lseek(source, 0, SEEK_SET) == 0 else { throw .last("lseek", context.source) }
            outcome = try write(
                source, info: info, createdMode: createdMode, replacing: replacing, context: context,
                countingBytes: false)
        }
        guard case .placed(let backup) = outcome else { return }
        placed = true
        run.counters.files.add(1, ordering: .relaxed)
        // (With only attributes copied there are no contents to compare.)
        if !options.attributesOnly { run.verifyLater(context) }
        run.report(context, .regular, .copied, backup: backup)
    }

    /// `--attributes-only` onto a file that is there: its bytes stay, and it
    /// gets the source's metadata, in place, as cp gives it.
    private func giveAttributes(of source: Int32, _ info: FileInfo, toFileAt context: EntryContext)
        throws(EntryError)
    {
        let flags = O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC
        let destination = context.destinationName.withCString { openat(context.destinationDirectory, $0, flags) }
        guard destination >= 0 else { throw .last("open", context.destination) }
        defer { close(destination) }
        try giveAttributes(of: source, info, toFileThatWasThere: destination, context)
    }

    /// The source's metadata on a file that was there before the copy (one
    /// written in place): it may have a mode and an ACL of its own, so the
    /// mode is always set and an ACL the source does not have is dropped.
    private func giveAttributes(
        of source: Int32, _ info: FileInfo, toFileThatWasThere destination: Int32, _ context: EntryContext
    ) throws(EntryError) {
        var existing = context
        existing.inheritedACLs.insert(.access)
        try Attributes(run: run, scratch: scratch).apply(
            info, from: source, to: destination, createdMode: nil, context: existing)
    }

    /// What became of a file written.
    enum WriteOutcome {
        /// Under its final name; what it replaced was kept here (`--backup`).
        case placed(backup: FilePath?)
        /// An entry appeared under its name meanwhile and `--no-clobber` kept it.
        case keptExisting
        /// Written unnamed, and neither way of linking it in works (nothing is left of it).
        case cannotLink
    }

    /// Creates the copy of the open `source`, fills it, gives it its
    /// metadata and its final name. Whatever is cut short is removed.
    private func write(
        _ source: Int32, info: FileInfo, createdMode: UInt32, replacing: Replacing, context: EntryContext,
        countingBytes: Bool = true
    ) throws(EntryError) -> WriteOutcome {
        let (destination, written) = try createFile(context, mode: createdMode, replacing: replacing)
        var finished = false
        defer {
            close(destination)
            // A file cut short is not left under any name but --inplace's.
            if !finished {
                switch written {
                case .temporaryName(let name):
                    _ = name.withCString { unlinkat(context.destinationDirectory, $0, 0) }
                case .finalNameInHiddenTree:
                    _ = context.destinationName.withCString { unlinkat(context.destinationDirectory, $0, 0) }
                case .unnamed, .inPlace: break
                }
            }
        }
        let pair = DevicePair(source: info.fileSystem, destination: context.destinationDevice)
        if !options.attributesOnly {
            try FileContents(run: run, scratch: scratch, countsBytes: countingBytes).copy(
                from: source, to: destination, info: info, devices: pair, context: context)
        }
        if case .inPlace = written {
            try giveAttributes(of: source, info, toFileThatWasThere: destination, context)
        } else {
            try Attributes(run: run, scratch: scratch).apply(
                info, from: source, to: destination, createdMode: createdMode, context: context)
        }
        let outcome = try place(destination, written: written, replacing: replacing, context: context)
        finished = true
        return outcome
    }

    /// How a file being written is named.
    enum WrittenAs {
        /// O_TMPFILE: no name until it is linked in.
        case unnamed
        /// A temporary name in its directory, renamed over the final one.
        case temporaryName(RawName)
        /// Its final name, in a new tree that is itself not yet under its
        /// final name (see CopyRun.hideTree).
        case finalNameInHiddenTree
        /// --inplace: its final name, in place; what was there was kept
        /// here first (`--backup`).
        case inPlace(backup: FilePath?)
    }

    /// The file to write: in a new tree still under a temporary name, its
    /// own name; else unnamed where the file system allows (O_TMPFILE), or
    /// under a temporary name; with `inPlace`, the final name itself.
    private func createFile(_ context: EntryContext, mode: UInt32, replacing: Replacing) throws(EntryError)
        -> (Int32, WrittenAs)
    {
        let directory = context.destinationDirectory
        // (--inplace never hides a tree.)
        if run.writesIntoHiddenTree && context.destinationIsNew {
            let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC
            let descriptor = context.destinationName.withCString { openat(directory, $0, flags, mode) }
            guard descriptor >= 0 else { throw .last("open", context.destination) }
            return (descriptor, .finalNameInHiddenTree)
        }
        if options.inPlace {
            // Anything but a regular file in the way is replaced, never
            // opened: writing through a symbolic link changes what lies
            // outside the copy, opening a FIFO waits for a reader (for
            // ever, and past SIGTERM), and a device would take the bytes.
            // With `removeDestination` a file is removed too, so that other
            // hard links to it keep what they had (cp --remove-destination),
            // and with `backup` it is moved to its backup name.
            var backup: FilePath?
            if case .entry(let type) = replacing {
                backup = try backUpEntryInTheWay(context)
                if backup == nil && (type != .regular || options.removeDestination) {
                    _ = context.destinationName.withCString { unlinkat(directory, $0, 0) }
                }
            }
            // O_NOFOLLOW and O_NONBLOCK: an entry swapped in meanwhile fails the open instead.
            let flags = O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC
            var descriptor = context.destinationName.withCString { openat(directory, $0, flags, mode) }
            if descriptor < 0, options.force, case .entry = replacing {
                // -f: a file that cannot be opened (no write permission) is
                // removed and made again, as cp -f does.
                let openError = errno
                if context.destinationName.withCString({ unlinkat(directory, $0, 0) }) == 0 {
                    descriptor = context.destinationName.withCString { openat(directory, $0, flags, mode) }
                } else {
                    errno = openError
                }
            }
            guard descriptor >= 0 else { throw .last("open", context.destination) }
            return (descriptor, .inPlace(backup: backup))
        }
        if run.placement != .temporaryName {
            let descriptor = openat(directory, ".", FSR_O_TMPFILE | O_WRONLY | O_CLOEXEC, mode)
            if descriptor >= 0 { return (descriptor, .unnamed) }
            // File systems without O_TMPFILE say so in several ways; the
            // rest of the run does not ask again.
            guard [EOPNOTSUPP, EISDIR, EINVAL].contains(errno) else { throw .last("open", context.destination) }
            run.learn(.temporaryName)
        }
        var descriptor: Int32 = -1
        let temporary = underFreshTemporaryName(beside: context) { name in
            descriptor = name.withCString { openat(directory, $0, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode) }
            return descriptor >= 0
        }
        guard let temporary else { throw .last("open", context.destination) }
        return (descriptor, .temporaryName(temporary))
    }

    /// Gives the finished file its final name, once what is in the way is
    /// backed up (`--backup`).
    private func place(_ descriptor: Int32, written: WrittenAs, replacing: Replacing, context: EntryContext)
        throws(EntryError) -> WriteOutcome
    {
        let directory = context.destinationDirectory
        switch written {
        case .inPlace(let backup): return .placed(backup: backup)
        case .finalNameInHiddenTree: return .placed(backup: nil)
        case .unnamed: break
        case .temporaryName(let temporary):
            if case .entry = replacing, options.backup != nil {
                return .placed(backup: try backUp(context, thenRename: temporary))
            }
            let noReplace = options.overwrite.keepsExisting ? FSR_RENAME_NOREPLACE : 0
            let renamed = temporary.withCString { from in
                context.destinationName.withCString { fsr_renameat2(directory, from, directory, $0, noReplace) }
            }
            if renamed == 0 { return .placed(backup: nil) }
            if errno == EEXIST && noReplace != 0 {
                try keepExisting(context, .regular)
                return .keptExisting
            }
            throw .last("rename", context.destination)
        }
        switch link(descriptor, as: context.destinationName, in: directory) {
        case .linked: return .placed(backup: nil)
        case .impossible: return .cannotLink
        case .failed: break
        }
        guard errno == EEXIST else { throw .last("link", context.destination) }
        if options.overwrite.keepsExisting {
            try keepExisting(context, .regular)
            return .keptExisting
        }
        // Something is there: link under a temporary name and rename over it,
        // so the name never points at nothing.
        let temporary = underFreshTemporaryName(beside: context) { name in
            link(descriptor, as: name, in: directory) == .linked
        }
        guard let temporary else { throw .last("link", context.destination) }
        return .placed(backup: try backUp(context, thenRename: temporary))
    }

    private enum LinkOutcome {
        case linked
        /// errno says why.
        case failed
        /// Neither linkat(AT_EMPTY_PATH) nor /proc/self/fd is available.
        case impossible
    }

    /// Links an unnamed file under `name`, the way this run learnt works.
    /// The first file learns it: by its descriptor (linkat AT_EMPTY_PATH),
    /// which older kernels refuse with ENOENT to a caller without
    /// CAP_DAC_READ_SEARCH, else through /proc/self/fd, which needs /proc.
    /// (A probe file made for the purpose cost 0.5 ms of a 3.3 ms one-file copy.)
    private func link(_ descriptor: Int32, as name: RawName, in directory: Int32) -> LinkOutcome {
        name.withCString { name in
            if let known = run.placement, known != .temporaryName {
                return link(descriptor, as: name, in: directory, known) ? .linked : .failed
            }
            for way in [Placement.unnamedLinkedByDescriptor, .unnamedLinkedThroughProc] {
                let linked = link(descriptor, as: name, in: directory, way)
                // Only ENOENT can mean the way itself is missing; any other
                // answer (EEXIST, EACCES, ...) came from the directory.
                if linked || errno != ENOENT {
                    run.learn(way)
                    return linked ? .linked : .failed
                }
            }
            // Neither way exists here (or the directory was removed, which
            // the file written again under a temporary name will report).
            run.learn(.temporaryName)
            return .impossible
        }
    }

    private func link(
        _ descriptor: Int32, as name: UnsafePointer<CChar>, in directory: Int32, _ way: Placement
    ) -> Bool {
        if way == .unnamedLinkedByDescriptor {
            return linkat(descriptor, "", directory, name, FSR_AT_EMPTY_PATH) == 0
        }
        return "/proc/self/fd/\(descriptor)".withCString {
            linkat(AT_FDCWD, $0, directory, name, AT_SYMLINK_FOLLOW) == 0
        }
    }
}
