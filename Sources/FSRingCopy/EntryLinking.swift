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
}
