import FSRing
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// What is done once every entry is copied: hard links to the copies, then
/// each directory's metadata, deepest first, so making entries inside a
/// directory does not change the times just set on it.
struct CopyFinisher {
    let run: CopyRun

    func linkHardLinks() {
        var replacements: [FileIdentity: FilePath] = [:]
        for follower in run.takeHardLinkFollowers() {
            if run.isStopped { return }
            guard let leader = follower.leader ?? replacements[follower.identity] else {
                // Every earlier member failed: this one is copied instead, and the rest link to it.
                if copyInstead(follower) { replacements[follower.identity] = follower.destination }
                continue
            }
            if run.options.dryRun {
                run.counters.hardLinks.add(1, ordering: .relaxed)
                run.report(follower.source, follower.destination, .regular, .linked)
                continue
            }
            do throws(EntryError) {
                try link(follower, to: leader)
            } catch {
                run.fail(error, source: follower.source)
            }
        }
    }

    private func link(_ follower: HardLinkTable.Follower, to leader: FilePath) throws(EntryError) {
        let made = leader.withPlatformString { existing in
            follower.destination.withPlatformString { linkat(AT_FDCWD, existing, AT_FDCWD, $0, 0) }
        }
        if made != 0 {
            guard errno == EEXIST else { throw .last("link", follower.destination, leader) }
            switch run.options.overwrite {
            case .keepExisting:
                run.counters.skipped.add(1, ordering: .relaxed)
                run.report(follower.source, follower.destination, .regular, .skipped("exists"))
                return
            case .replace, .replaceOlder:
                let directory = follower.destination.removingLastComponent()
                let temporary = (directory.isEmpty ? "." : directory).appending(run.temporaryName())
                let linked = leader.withPlatformString { existing in
                    temporary.withPlatformString { linkat(AT_FDCWD, existing, AT_FDCWD, $0, 0) }
                }
                guard linked == 0 else { throw .last("link", follower.destination, leader) }
                let renamed = temporary.withPlatformString { from in
                    follower.destination.withPlatformString { rename(from, $0) }
                }
                if renamed != 0 {
                    let failure = EntryError.last("rename", follower.destination)
                    _ = temporary.withPlatformString { unlink($0) }
                    throw failure
                }
            }
        }
        run.counters.hardLinks.add(1, ordering: .relaxed)
        run.report(follower.source, follower.destination, .regular, .linked)
    }

    /// Copies a hard-link group member on its own; true when it succeeded.
    private func copyInstead(_ follower: HardLinkTable.Follower) -> Bool {
        let failuresBefore = run.counters.failed.load(ordering: .relaxed)
        let skippedBefore = run.counters.skipped.load(ordering: .relaxed)
        let info = follower.source.withPlatformString { FileInfo.blockingLookup(AT_FDCWD, $0, followLinks: false) }
        let directory = follower.destination.removingLastComponent()
        let context = EntryContext(
            sourceDirectory: AT_FDCWD, sourceName: follower.source, source: follower.source,
            destinationDirectory: AT_FDCWD, destinationName: follower.destination, destination: follower.destination,
            destinationIsNew: false,
            groupOfNewFiles: directory.withPlatformString {
                FileInfo.blockingLookup(AT_FDCWD, $0, followLinks: true)
            }.map { $0.permissions & UInt32(S_ISGID) != 0 ? $0.groupID : getegid() } ?? getegid(),
            destinationDevice: 0, followLink: false, detectsHardLinks: false)
        let copier = EntryCopier(run: run, scratch: Scratch())
        do throws(EntryError) {
            guard info?.type == .regular else { throw .last("statx", follower.source) }
            try copier.copyFile(context)
        } catch {
            run.fail(error, source: follower.source)
        }
        return run.counters.failed.load(ordering: .relaxed) == failuresBefore
            && run.counters.skipped.load(ordering: .relaxed) == skippedBefore
    }

    func finishDirectories() {
        guard !run.options.dryRun else { return }
        let attributes = Attributes(run: run, scratch: Scratch())
        for finish in run.takeDirectoryFinishes().sorted(by: { $0.depth > $1.depth }) {
            do throws(EntryError) {
                try attributes.applyToDirectory(finish)
            } catch {
                run.fail(error, source: finish.source)
            }
        }
    }
}
