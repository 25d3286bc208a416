import FSRing
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

extension EntryCopier {
    /// `-l`: the entry hard-linked at the destination instead of copied, a
    /// link followed with `-L` (linkat AT_SYMLINK_FOLLOW) and a symbolic
    /// link itself linked otherwise, as cp -al does. The copy is the source's
    /// own inode, so there is nothing to write or set. An entry already
    /// linked there (a snapshot made again) is left as it is, as by cp.
    func linkEntry(_ context: EntryContext) throws(EntryError) {
        guard let info = lookup(context, follow: context.followLink) else { throw .last("statx", context.source) }
        guard try mayReplace(context, source: info) != nil else { return }
        if options.dryRun { return wouldCopy(context, info) }
        let flags = context.followLink ? AT_SYMLINK_FOLLOW : 0
        let made = try create(context, info.type, "link") { directory, name in
            context.sourceName.withCString { linkat(context.sourceDirectory, $0, directory, name, flags) }
        }
        guard let made else { return }
        run.counters.hardLinks.add(1, ordering: .relaxed)
        run.report(context, info.type, .copied, backup: made.backup)
    }

    /// `-s`: the entry made a symbolic link to its source, as cp -s makes
    /// it: the source's path as given, the source's times (cp sets no owner
    /// on it). A relative path leads where it should only from the current
    /// directory, so elsewhere it is refused, as by cp.
    func symbolicLinkEntry(_ context: EntryContext) throws(EntryError) {
        guard let info = lookup(context, follow: context.followLink) else { throw .last("statx", context.source) }
        let target = context.source
        if !target.isAbsolute, try !isMadeInWorkingDirectory(context) {
            throw .code(
                EINVAL, "symlink", context.destination,
                detail: "can make relative symbolic links only in the current directory")
        }
        guard try mayReplace(context, source: info) != nil else { return }
        if options.dryRun { return wouldCopy(context, info) }
        let made = try create(context, .symbolicLink, "symlink") { directory, name in
            target.withPlatformString { symlinkat($0, directory, name) }
        }
        guard let made else { return }
        if options.preserve.contains(.timestamps) {
            let result = context.destinationName.withCString { name in
                Attributes.withTimes(info) { utimensat(context.destinationDirectory, name, $0, AT_SYMLINK_NOFOLLOW) }
            }
            if result != 0 { throw .last("utimensat", context.destination) }
        }
        run.counters.symbolicLinks.add(1, ordering: .relaxed)
        run.report(context, .symbolicLink, .copied, backup: made.backup)
    }

    /// Whether the entry's copy is made in the current directory.
    private func isMadeInWorkingDirectory(_ context: EntryContext) throws(EntryError) -> Bool {
        let parent = context.destinationName.path.removingLastComponent()
        let made = parent.withPlatformString {
            FileInfo.blockingLookup(context.destinationDirectory, $0, followLinks: true)
        }
        guard let made, let working = FileInfo.blockingLookup(AT_FDCWD, ".", followLinks: true) else {
            throw .last("statx", context.destination)
        }
        return made.identity == working.identity
    }
}
