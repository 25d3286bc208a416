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
        let source = context.sourceName.withPlatformString { openat(context.sourceDirectory, $0, flags) }
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
        guard try mayReplace(context, source: info) else { return }
        if options.dryRun {
            wouldCopy(context, info)
            placed = true
            return
        }
        let createdMode = options.preserve.contains(.mode) ? info.permissions & 0o777 : 0o666
        let (destination, written) = try createFile(context, mode: createdMode)
        var finished = false
        defer {
            close(destination)
            // A file cut short is not left under any name but --inplace's.
            if !finished {
                switch written {
                case .temporaryName(let name):
                    _ = name.withPlatformString { unlinkat(context.destinationDirectory, $0, 0) }
                case .finalNameInHiddenTree:
                    _ = context.destinationName.withPlatformString { unlinkat(context.destinationDirectory, $0, 0) }
                case .unnamed, .inPlace: break
                }
            }
        }
        let pair = DevicePair(
            source: UInt64(info.deviceMajor) << 32 | UInt64(info.deviceMinor), destination: context.destinationDevice)
        try FileContents(run: run, scratch: scratch).copy(
            from: source, to: destination, info: info, devices: pair, context: context)
        try Attributes(run: run, scratch: scratch).apply(
            info, from: source, to: destination, createdMode: createdMode, context: context)
        placed = try place(destination, written: written, context: context)
        finished = true
        guard placed else { return }
        run.counters.files.add(1, ordering: .relaxed)
        run.verifyLater(context)
        run.report(context, .regular, .copied)
    }

    /// How a file being written is named.
    enum WrittenAs {
        /// O_TMPFILE: no name until it is linked in.
        case unnamed
        /// A temporary name in its directory, renamed over the final one.
        case temporaryName(FilePath)
        /// Its final name, in a new tree that is itself not yet under its
        /// final name (see CopyRun.hideTree).
        case finalNameInHiddenTree
        /// --inplace: its final name, in place.
        case inPlace
    }

    /// The file to write: in a new tree still under a temporary name, its
    /// own name; else unnamed where the file system allows (O_TMPFILE), or
    /// under a temporary name; with `inPlace`, the final name itself.
    private func createFile(_ context: EntryContext, mode: UInt32) throws(EntryError) -> (Int32, WrittenAs) {
        let directory = context.destinationDirectory
        // (--inplace never hides a tree.)
        if run.writesIntoHiddenTree && context.destinationIsNew {
            let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC
            let descriptor = context.destinationName.withPlatformString { openat(directory, $0, flags, mode) }
            guard descriptor >= 0 else { throw .last("open", context.destination) }
            return (descriptor, .finalNameInHiddenTree)
        }
        if options.inPlace {
            let flags = O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC
            var descriptor = context.destinationName.withPlatformString { openat(directory, $0, flags, mode) }
            if descriptor < 0 && errno == ELOOP {
                // A symbolic link is in the way: replace it, never write through it.
                _ = context.destinationName.withPlatformString { unlinkat(directory, $0, 0) }
                descriptor = context.destinationName.withPlatformString { openat(directory, $0, flags, mode) }
            }
            guard descriptor >= 0 else { throw .last("open", context.destination) }
            return (descriptor, .inPlace)
        }
        if run.placement != .temporaryName {
            let descriptor = openat(directory, ".", FSR_O_TMPFILE | O_WRONLY | O_CLOEXEC, mode)
            if descriptor >= 0 { return (descriptor, .unnamed) }
            // File systems without O_TMPFILE say so in several ways.
            guard [EOPNOTSUPP, EISDIR, EINVAL].contains(errno) else { throw .last("open", context.destination) }
        }
        let temporary = temporaryName(beside: context)
        let descriptor = temporary.withPlatformString {
            openat(directory, $0, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        }
        guard descriptor >= 0 else { throw .last("open", context.destination) }
        return (descriptor, .temporaryName(temporary))
    }

    /// Gives the finished file its final name. False when an entry appeared
    /// there meanwhile and `--no-clobber` keeps it.
    private func place(_ descriptor: Int32, written: WrittenAs, context: EntryContext) throws(EntryError) -> Bool {
        let directory = context.destinationDirectory
        switch written {
        case .inPlace, .finalNameInHiddenTree: return true
        case .unnamed: break
        case .temporaryName(let temporary):
            let noReplace = options.overwrite == .keepExisting ? FSR_RENAME_NOREPLACE : 0
            let renamed = temporary.withPlatformString { from in
                context.destinationName.withPlatformString { fsr_renameat2(directory, from, directory, $0, noReplace) }
            }
            if renamed == 0 { return true }
            if errno == EEXIST && noReplace != 0 {
                skip(context, .regular, "exists")
                return false
            }
            throw .last("rename", context.destination)
        }
        if link(descriptor, as: context.destinationName, in: directory) { return true }
        guard errno == EEXIST else { throw .last("link", context.destination) }
        if options.overwrite == .keepExisting {
            skip(context, .regular, "exists")
            return false
        }
        // Something is there: link under a temporary name and rename over it,
        // so the name never points at nothing.
        let temporary = temporaryName(beside: context)
        guard link(descriptor, as: temporary, in: directory) else { throw .last("link", context.destination) }
        try rename(temporary, over: context)
        return true
    }

    /// Links an unnamed file under `name`.
    private func link(_ descriptor: Int32, as name: FilePath, in directory: Int32) -> Bool {
        name.withPlatformString { name in
            switch run.placement {
            case .unnamedLinkedThroughProc:
                return "/proc/self/fd/\(descriptor)".withCString {
                    linkat(AT_FDCWD, $0, directory, name, AT_SYMLINK_FOLLOW) == 0
                }
            default:
                return linkat(descriptor, "", directory, name, FSR_AT_EMPTY_PATH) == 0
            }
        }
    }
}
