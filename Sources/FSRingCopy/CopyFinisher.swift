import FSRing
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// What is done once every entry is copied: hard links to the copies, then
/// each directory's metadata (after the links, so making entries inside a
/// directory does not change the times just set on it).
struct CopyFinisher {
    let run: CopyRun
    /// Buffers for the finishing thread.
    let scratch = Scratch()

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
        let linked = try withReachedPaths(follower) { (context) throws(EntryError) -> EntryCopier.Made? in
            let copier = EntryCopier(run: run, scratch: scratch)
            // -i: a follower in the way is asked about as every other entry is.
            if let confirm = run.options.confirmReplacing, copier.existing(context) != nil,
                !confirm(follower.source, follower.destination)
            {
                copier.skip(context, .regular, "not confirmed")
                return nil
            }
            return try LongPaths.withParent(of: leader) { (leaderDirectory, leaderName) throws(EntryError) in
                try copier.create(context, .regular, "link") { directory, name in
                    linkat(leaderDirectory, leaderName, directory, name, 0)
                }
            }
        }
        guard let linked else { return }
        run.counters.hardLinks.add(1, ordering: .relaxed)
        run.report(follower.source, follower.destination, .regular, .linked, backup: linked.backup)
    }

    /// A follower addressed by whole paths, for the copier's helpers; the
    /// copy's owner is needed (and looked up) only when it is copied whole.
    /// Calls `body` with the follower's context, its source and destination
    /// named from their parents when the whole paths are too long for a
    /// call. A copy (`copyOwner` given: who the copy belongs to) needs its
    /// destination's directory open, whatever the length: the file is made
    /// there unnamed.
    private func withReachedPaths<Result>(
        _ follower: HardLinkTable.Follower, copyingAs copyOwner: FileOwner? = nil,
        _ body: (EntryContext) throws(EntryError) -> Result
    ) throws(EntryError) -> Result {
        try LongPaths.withParent(of: follower.source) { (sourceDirectory, sourceName) throws(EntryError) in
            try LongPaths.withParent(of: follower.destination, openingParent: copyOwner != nil) {
                (directory, name) throws(EntryError) in
                let sourceParent = sourceDirectory == AT_FDCWD ? nil : follower.source.removingLastComponent()
                let destinationParent =
                    directory == AT_FDCWD ? nil : follower.destination.removingLastComponent()
                let context = EntryContext(
                    sourceDirectory: sourceDirectory, sourceName: RawName(sourceName),
                    sourceParent: sourceParent, destinationDirectory: directory,
                    destinationName: RawName(name), destinationParent: destinationParent,
                    destinationIsNew: false, copyOwner: copyOwner, destinationDevice: 0, followLink: false,
                    detectsHardLinks: false)
                return try body(context)
            }
        }
    }

    /// Copies a hard-link group member on its own; true when it succeeded.
    private func copyInstead(_ follower: HardLinkTable.Follower) -> Bool {
        let failuresBefore = run.counters.failed.load(ordering: .relaxed)
        let skippedBefore = run.counters.skipped.load(ordering: .relaxed)
        do throws(EntryError) {
            let directory = follower.destination.removingLastComponent()
            let group = try LongPaths.withParent(of: directory) { (parent, name) throws(EntryError) in
                FileInfo.blockingLookup(parent, name, followLinks: true)
            }.map(OpenDirectory.groupOfNewFiles(in:))
            let owner = FileOwner(user: run.effectiveUser, group: group ?? getegid())
            try withReachedPaths(follower, copyingAs: owner) { (context) throws(EntryError) in
                try EntryCopier(run: run, scratch: scratch).copyFile(context)
            }
        } catch {
            run.fail(error, source: follower.source)
        }
        return run.counters.failed.load(ordering: .relaxed) == failuresBefore
            && run.counters.skipped.load(ordering: .relaxed) == skippedBefore
    }

    /// Sets directories' metadata as `schedule` gives them, on one of its
    /// threads: the copy of `source` at `destination`.
    func finishDirectories(_ schedule: DirectorySchedule, source: FilePath, destination: FilePath) {
        let attributes = Attributes(run: run, scratch: scratch)
        // In the source, `..` may lead elsewhere than the path says only
        // through a link followed below the top (-L).
        let sources = DirectoryCursor(top: source, climbs: !run.options.followSymbolicLinks)
        let destinations = DirectoryCursor(top: destination, climbs: true)
        while let index = schedule.next() {
            let finish = schedule.finishes[index]
            do throws(EntryError) {
                try attributes.applyToDirectory(finish, sources: sources, destinations: destinations)
            } catch {
                run.fail(error, source: finish.source)
            }
            schedule.done(index)
        }
    }
}
