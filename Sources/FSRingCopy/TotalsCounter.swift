import FSRing
import SystemPackage

extension FileSystem {
    /// Counts the source's entries and bytes with the tree walk while the
    /// copy runs, so progress can show an ETA. It only lists and stats,
    /// a small part of what copying costs.
    func countTotals(of root: FilePath, _ rootInfo: FileInfo, into run: CopyRun) async {
        defer { run.counters.totalsKnown.store(true, ordering: .relaxed) }
        var options = TreeWalkOptions()
        options.followSymbolicLinks = run.options.followSymbolicLinks
        options.followRootSymbolicLink = run.options.followRootSymbolicLink
        for await entry in walk(at: root, options: options) {
            if Task.isCancelled || run.isStopped { return }
            guard entry.error == nil, entry.type != .directory else { continue }
            run.counters.totalFiles.add(1, ordering: .relaxed)
            guard entry.type == .regular else { continue }
            let size = entry.depth == 0 ? rootInfo.size : try? await info(forFileAt: entry.path)?.size
            run.counters.totalBytes.add(size ?? 0, ordering: .relaxed)
        }
    }
}
