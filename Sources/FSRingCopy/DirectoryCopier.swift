import FSRing
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

extension EntryCopier {
    /// Entries per job: enough to keep a thread busy between queue visits,
    /// few enough that a large directory spreads over every thread.
    static let entriesPerJob = 64

    /// Lists one source directory, whose copy already exists, and queues its entries.
    func copyContents(_ job: DirectoryJob) {
        do throws(EntryError) {
            let source = try openSource(job)
            if job.followLink || options.followSymbolicLinks, job.ancestors.contains(source.directory.info.identity) {
                throw .code(ELOOP, "copy", job.source, detail: "a symbolic link leads back to a directory above it")
            }
            if run.isDestinationRoot(source.directory.info.identity) {
                throw .code(ELOOP, "copy", job.source, detail: "leads into the copy itself")
            }
            var destination: OpenDirectory?
            if !options.dryRun || !job.destinationIsNew {
                destination = try OpenDirectory.open(
                    job.name, in: job.destinationParent, path: job.openedAt ?? job.destination,
                    followLink: job.destinationIsLink,
                    isNew: job.destinationIsNew, readingACLs: options.preserve.contains(.mode))
                if job.depth == 0, let destination { run.setDestinationRoot(destination.info.identity) }
            }
            if !options.dryRun {
                run.finishLater(
                    DirectoryFinish(
                        source: job.source, destination: metadataPath(job), info: source.directory.info,
                        destinationOwner: destination.map { FileOwner(user: $0.info.userID, group: $0.info.groupID) },
                        destinationACLs: destination?.acls ?? []))
            }
            let ancestors =
                options.followSymbolicLinks ? job.ancestors + [source.directory.info.identity] : job.ancestors
            var jobs: [CopyJob] = []
            var start = 0
            while start < source.entries.count {
                let end = min(start + Self.entriesPerJob, source.entries.count)
                jobs.append(
                    .entries(
                        EntriesJob(
                            source: source.directory, destination: destination, destinationPath: job.destination,
                            entries: source.entries[start..<end], depth: job.depth, ancestors: ancestors)))
                start = end
            }
            run.queue.add(jobs)
        } catch {
            run.fail(error, source: job.source)
        }
    }

    /// Where the copy of a directory gets its metadata: its path, or, when
    /// that is a symbolic link followed to a directory, the directory it
    /// leads to (`path/.`), not the link.
    private func metadataPath(_ job: DirectoryJob) -> FilePath {
        guard job.destinationIsLink else { return job.destination }
        return RawName(job.destination.rawBytes + Array("/.".utf8)).path
    }

    private func openSource(_ job: DirectoryJob) throws(EntryError) -> (
        directory: OpenDirectory, entries: [PendingEntry]
    ) {
        let descriptor: Int32
        do throws(EntryError) {
            descriptor = try OpenDirectory.openDescriptor(
                job.name, in: job.sourceParent, path: job.source, followLink: job.followLink)
        } catch {
            recordFinishOfUnreadable(job)
            throw error
        }
        // The directory is copied, not what it holds: the top of a copy of
        // metadata only, or a mount point under -x (decided before listing
        // it, as cp does: an unreadable mount is no failure).
        let metadataOnly = job.depth == 0 && !options.copiesDirectoryContents
        if metadataOnly || (options.stayOnFileSystem && job.parentFileSystem != nil),
            let info = FileInfo.blockingLookup(descriptor, "", followLinks: false),
            metadataOnly || info.fileSystem != job.parentFileSystem
        {
            return (OpenDirectory(descriptor: descriptor, path: job.source, info: info, isNew: false), [])
        }
        var entries: [PendingEntry] = []
        let read = DirectoryReader.readBlocking(descriptor: descriptor, displayPath: job.source) {
            name, length, type, _ in
            entries.append(
                PendingEntry(
                    name: RawName(name, length: length), destinationName: nil,
                    type: type, followLink: false))
        }
        switch read {
        case .success(let info):
            return (OpenDirectory(descriptor: descriptor, path: job.source, info: info, isNew: false), entries)
        case .failure(let error):
            close(descriptor)
            recordFinishOfUnreadable(job)
            throw EntryError(error)
        }
    }

    /// A directory that cannot be read is still made, empty, with the
    /// source's metadata (as cp does).
    private func recordFinishOfUnreadable(_ job: DirectoryJob) {
        guard !options.dryRun else { return }
        let info = try? LongPaths.withParent(of: job.source) { (directory, name) throws(EntryError) in
            FileInfo.blockingLookup(directory, name, followLinks: job.followLink)
        }
        guard let info, info.type == .directory else { return }
        run.finishLater(DirectoryFinish(source: job.source, destination: job.destination, info: info))
    }
}
