import FSRing
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Counts the files and bytes of the source on a thread of its own while
/// the copy runs, so progress can show an ETA. It only lists and stats,
/// which costs a small part of what copying does.
struct TotalsCounter {
    let run: CopyRun

    func count(_ root: FilePath, _ info: FileInfo) {
        defer { run.counters.totalsKnown.store(true, ordering: .relaxed) }
        guard info.type == .directory else {
            add(info)
            return
        }
        var pending: [FilePath] = [root]
        while let directory = pending.popLast() {
            if run.isStopped { return }
            let descriptor = directory.withPlatformString { openat(AT_FDCWD, $0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
            guard descriptor >= 0 else { continue }
            defer { close(descriptor) }
            guard case .success(let listing) = DirectoryReader.listBlocking(descriptor: descriptor, displayPath: nil)
            else { continue }
            for entry in listing.entries {
                switch entry.type {
                case .directory:
                    pending.append(directory.appending(entry.name))
                case .regular, .unknown:
                    let found = entry.name.withPlatformString {
                        FileInfo.blockingLookup(descriptor, $0, followLinks: run.options.followSymbolicLinks)
                    }
                    if let found {
                        if found.type == .directory {
                            pending.append(directory.appending(entry.name))
                        } else {
                            add(found)
                        }
                    }
                default:
                    run.counters.totalFiles.add(1, ordering: .relaxed)
                }
            }
        }
    }

    private func add(_ info: FileInfo) {
        run.counters.totalFiles.add(1, ordering: .relaxed)
        if info.type == .regular { run.counters.totalBytes.add(info.size, ordering: .relaxed) }
    }
}
