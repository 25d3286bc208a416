import FSRing
import SystemPackage

extension FileSystem {
    /// Counts the source's entries and bytes while the copy runs, so
    /// progress can show an ETA; the totals count as known only once the
    /// whole tree is counted. The files are collected as bytes by the walk
    /// and their sizes looked up thousands per call: awaiting one `statx`
    /// per file took longer than copying the Linux tree, so no ETA was ever
    /// shown.
    func countTotals(of root: FilePath, _ rootInfo: FileInfo, into run: CopyRun) async {
        guard rootInfo.type == .directory else {
            run.counters.totalFiles.add(1, ordering: .relaxed)
            if rootInfo.type == .regular { run.counters.totalBytes.add(rootInfo.size, ordering: .relaxed) }
            run.counters.totalsKnown.store(true, ordering: .releasing)
            return
        }
        var options = TreeWalkOptions()
        options.followSymbolicLinks = run.options.followSymbolicLinks
        options.followRootSymbolicLink = run.options.followRootSymbolicLink
        options.stayOnFileSystem = run.options.stayOnFileSystem
        var (files, others) = await collectFiles(at: root, options: options)
        if Task.isCancelled || run.isStopped { return }
        // Links followed (-L) to files come back as entries; their bytes count too.
        for entry in others where entry.error == nil && entry.type == .regular { files.append(entry.path) }
        let bytes = await infos(of: files, followLinks: true).reduce(0) { $0 + ($1?.size ?? 0) }
        if Task.isCancelled || run.isStopped { return }
        let otherEntries = others.count { $0.error == nil && $0.type != .directory && $0.type != .regular }
        run.counters.totalFiles.add(files.count + otherEntries, ordering: .relaxed)
        run.counters.totalBytes.add(bytes, ordering: .relaxed)
        run.counters.totalsKnown.store(true, ordering: .releasing)
    }
}
