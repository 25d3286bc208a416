internal import CURing
import Synchronization
import SystemPackage
import URing

#if canImport(Glibc)
    import Glibc
#endif

/// The io_uring backend: every call is one submission (or one linked chain)
/// on the ring of the current thread, or the next ring in turn.
final class URingFileIO: FileIO {
    var backend: Backend { .uring }
    let runtime: RingRuntime
    /// getdents64 has no io_uring opcode: directory listing runs here.
    let blocking: BlockingPool

    /// Slabs kept between batch reads: a fresh one costs an mmap and a page
    /// fault per 4 KiB, more than reading the small files it holds.
    private let slabs = SlabPool()

    init(runtime: RingRuntime, blocking: BlockingPool) {
        self.runtime = runtime
        self.blocking = blocking
    }

    private func submit(_ entry: SubmissionEntry) async throws -> Int32 {
        try await runtime.ring().submit(entry)
    }

    func open(_ path: FilePath, at directory: Int32, flags: Int32, mode: UInt32) async throws -> Int32 {
        let cPath = CPath(path)
        defer { withExtendedLifetime(cPath) {} }
        let result = try await submit(
            .open(at: directory, path: cPath.pointer, flags: flags | FSR_O_CLOEXEC, mode: mode))
        if result == -ENAMETOOLONG && directory == FSR_AT_FDCWD {
            // Deeper than one call reaches: opened in steps (a few short calls) on the pool.
            let address = cPath.address
            let descriptor = await blocking.run { () -> Int32 in
                let opened = LongPaths.open(.at(address), flags: flags, mode: mode)
                return opened >= 0 ? opened : -errno
            }
            return try FileSystemError.check(descriptor, "open", path)
        }
        return try FileSystemError.check(result, "open", path)
    }

    func close(_ descriptor: Int32) async throws {
        // Not cancellable: a close that was asked for must happen.
        let result = await runtime.ring().submitUncancellable(.close(.descriptor(descriptor)))
        _ = try FileSystemError.check(result, "close")
    }

    func read(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, offset: UInt64?) async throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let result = try await submit(
            .read(.descriptor(descriptor), into: base, length: buffer.count, offset: offset ?? .max))
        return Int(try FileSystemError.check(result, "read"))
    }

    func write(_ descriptor: Int32, from buffer: UnsafeRawBufferPointer, offset: UInt64?) async throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let result = try await submit(
            .write(.descriptor(descriptor), from: base, length: buffer.count, offset: offset ?? .max))
        return Int(try FileSystemError.check(result, "write"))
    }

    func info(_ path: FilePath, at directory: Int32, flags: Int32) async throws -> FileInfo {
        let cPath = CPath(path)
        defer { withExtendedLifetime(cPath) {} }
        let raw = UnsafeMutablePointer<statx>.allocate(capacity: 1)
        defer { raw.deallocate() }
        let mask = UInt32(FSR_STATX_BASIC_STATS | FSR_STATX_BTIME)
        let result = try await submit(.statx(at: directory, path: cPath.pointer, flags: flags, mask: mask, into: raw))
        if result == -ENAMETOOLONG && directory == FSR_AT_FDCWD {
            let address = cPath.address
            let found = await blocking.run { () -> Result<FileInfo, FileSystemError> in
                guard let info = LongPaths.info(.at(address), followLinks: flags & FSR_AT_SYMLINK_NOFOLLOW == 0) else {
                    return .failure(FileSystemError(code: errno, operation: "statx", path: path))
                }
                return .success(info)
            }
            return try found.get()
        }
        _ = try FileSystemError.check(result, "statx", path)
        return FileInfo(raw.pointee)
    }

    func makeDirectory(_ path: FilePath, mode: UInt32) async throws {
        let cPath = CPath(path)
        defer { withExtendedLifetime(cPath) {} }
        let result = try await submit(.makeDirectory(at: FSR_AT_FDCWD, path: cPath.pointer, mode: mode))
        _ = try FileSystemError.check(result, "mkdir", path)
    }

    func makeSymbolicLink(_ path: FilePath, target: FilePath) async throws {
        let cPath = CPath(path)
        defer { withExtendedLifetime(cPath) {} }
        let cTarget = CPath(target)
        defer { withExtendedLifetime(cTarget) {} }
        let result = try await submit(.symbolicLink(target: cTarget.pointer, at: FSR_AT_FDCWD, path: cPath.pointer))
        _ = try FileSystemError.check(result, "symlink", path, target)
    }

    func makeHardLink(_ path: FilePath, to existing: FilePath) async throws {
        let cPath = CPath(path)
        defer { withExtendedLifetime(cPath) {} }
        let cExisting = CPath(existing)
        defer { withExtendedLifetime(cExisting) {} }
        let result = try await submit(
            .link(from: FSR_AT_FDCWD, cExisting.pointer, to: FSR_AT_FDCWD, cPath.pointer, flags: 0))
        _ = try FileSystemError.check(result, "link", existing, path)
    }

    func rename(_ source: FilePath, to destination: FilePath, flags: UInt32) async throws {
        let cSource = CPath(source)
        defer { withExtendedLifetime(cSource) {} }
        let cDestination = CPath(destination)
        defer { withExtendedLifetime(cDestination) {} }
        let result = try await submit(
            .rename(from: FSR_AT_FDCWD, cSource.pointer, to: FSR_AT_FDCWD, cDestination.pointer, flags: flags))
        _ = try FileSystemError.check(result, "rename", source, destination)
    }

    func unlink(_ path: FilePath, directory: Bool) async throws {
        let cPath = CPath(path)
        defer { withExtendedLifetime(cPath) {} }
        let result = try await submit(
            .unlink(at: FSR_AT_FDCWD, path: cPath.pointer, flags: directory ? FSR_AT_REMOVEDIR : 0))
        _ = try FileSystemError.check(result, directory ? "rmdir" : "unlink", path)
    }

    func sync(_ descriptor: Int32, dataOnly: Bool) async throws {
        _ = try FileSystemError.check(try await submit(.fsync(.descriptor(descriptor), dataOnly: dataOnly)), "fsync")
    }

    func allocate(_ descriptor: Int32, mode: Int32, offset: UInt64, length: UInt64) async throws {
        let result = try await submit(.fallocate(.descriptor(descriptor), mode: mode, offset: offset, length: length))
        _ = try FileSystemError.check(result, "fallocate")
    }

    func advise(_ descriptor: Int32, offset: UInt64, length: Int, advice: Int32) async throws {
        let result = try await submit(.fadvise(.descriptor(descriptor), offset: offset, length: length, advice: advice))
        _ = try FileSystemError.check(result, "fadvise")
    }

    // MARK: Many small files

    /// Files per batch: one submission carries this many open-read-close chains.
    static let chainsPerBatch = 64

    func forEachBatch(
        _ paths: PathList, sizeHint: Int, readLargerFiles: Bool, _ body: @escaping FileBatchHandler
    ) async {
        let capacity = max(sizeHint, 1) + 1  // One byte more tells "the file is larger".
        let rings = runtime.rings
        let batchCount = (paths.count + Self.chainsPerBatch - 1) / Self.chainsPerBatch
        let cursor = WorkCursor()
        // Two workers per ring: while one waits for its batch, the other's
        // is being submitted, so every io_uring_enter carries work. Each
        // worker reuses one slab of memory for all its batches.
        let workers = min(batchCount, rings.count * 2)
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<workers {
                let ring = rings[worker % rings.count]
                group.addTask(executorPreference: ring) {
                    let slabSize = capacity * Self.chainsPerBatch
                    let slab = self.slabs.take(size: slabSize)
                    defer { self.slabs.giveBack(slab, size: slabSize) }
                    while let batch = cursor.next(below: batchCount) {
                        let start = batch * Self.chainsPerBatch
                        await self.readBatch(
                            paths, start..<min(start + Self.chainsPerBatch, paths.count), capacity: capacity,
                            slab: slab, on: ring, readLargerFiles: readLargerFiles, body)
                    }
                }
            }
        }
    }

    /// One batch of open(direct) -> read -> close chains on `ring`, the
    /// files handed to `body` together, straight from the slab; files larger
    /// than the buffer are finished with ordinary calls and handed over alone.
    private func readBatch(
        _ paths: PathList, _ batch: Range<Int>, capacity: Int, slab: UnsafeMutableRawPointer, on ring: Ring,
        readLargerFiles: Bool, _ body: FileBatchHandler
    ) async {
        guard ring.supportsDirectDescriptors else {
            for index in batch {
                deliver(await readWholeFile(paths[index], capacity: capacity), index, body)
            }
            return
        }
        let cPaths = CPathList(paths, batch)
        defer { withExtendedLifetime(cPaths) {} }
        var entries: [SubmissionEntry] = []
        entries.reserveCapacity(batch.count * 3)
        for index in 0..<batch.count {
            entries.append(
                .openIntoChainSlot(at: FSR_AT_FDCWD, path: cPaths.pointer(index), flags: O_RDONLY, mode: 0)
                    .linked().skippingSuccess())
            entries.append(
                .read(.chainSlot, into: slab + index * capacity, length: capacity, offset: 0).hardLinked())
            entries.append(.close(.chainSlot))
        }
        let outcomes: [ChainResult]
        do {
            outcomes = try await ring.submit(batch: entries, chainLength: 3)
        } catch {
            body(
                batch.map {
                    (
                        index: $0,
                        contents: .failure(FileSystemError(code: ECANCELED, operation: "read", path: paths[$0]))
                    )
                })
            return
        }
        var files: [BatchFile] = []
        files.reserveCapacity(batch.count)
        for (position, outcome) in outcomes.enumerated() {
            let index = batch.lowerBound + position
            // A path is made only for a file that failed or needs more reading.
            if let open = outcome[0], open < 0 {
                if -open == ENAMETOOLONG {
                    // Deeper than one call reaches: read on its own, opened in steps.
                    deliver(await readWholeFile(paths[index], capacity: capacity), index, body)
                } else {
                    files.append((index, .failure(FileSystemError(code: -open, operation: "open", path: paths[index]))))
                }
                continue
            }
            let read = outcome[1] ?? -ECANCELED
            if read < 0 {
                files.append((index, .failure(FileSystemError(code: -read, operation: "read", path: paths[index]))))
            } else if Int(read) == capacity {
                if readLargerFiles {
                    deliver(await readWholeFile(paths[index], capacity: capacity * 2), index, body)
                } else {
                    files.append((index, .failure(FileSystemError(code: EFBIG, operation: "read", path: paths[index]))))
                }
            } else {
                files.append(
                    (index, .success(UnsafeRawBufferPointer(start: slab + position * capacity, count: Int(read)))))
            }
        }
        if !files.isEmpty { body(files) }
    }

    private func deliver(_ result: Result<[UInt8], FileSystemError>, _ index: Int, _ body: FileBatchHandler) {
        switch result {
        case .success(let bytes): bytes.withUnsafeBytes { body([(index, .success($0))]) }
        case .failure(let error): body([(index, .failure(error))])
        }
    }

    /// open, read to the end, close: for files too large for one chain.
    func readWholeFile(_ path: FilePath, capacity: Int) async -> Result<[UInt8], FileSystemError> {
        do {
            let descriptor = try await open(path, at: FSR_AT_FDCWD, flags: O_RDONLY, mode: 0)
            defer { Glibc.close(descriptor) }
            return .success(try await readToEnd(descriptor, from: 0, initialCapacity: capacity, path: path))
        } catch let error as FileSystemError {
            return .failure(error)
        } catch {
            return .failure(FileSystemError(code: ECANCELED, operation: "read", path: path))
        }
    }
}

/// Reusable memory for batch reads, by size.
final class SlabPool: Sendable {
    // Addresses of slabs not in use; each was allocated here and is owned by
    // the pool until taken, and by the taker until given back.
    private let spare = Mutex<[(size: Int, address: UInt)]>([])
    private static let limit = 8

    func take(size: Int) -> UnsafeMutableRawPointer {
        let reused: UInt? = spare.withLock { list in
            guard let index = list.firstIndex(where: { $0.size == size }) else { return nil }
            return list.remove(at: index).address
        }
        if let reused { return UnsafeMutableRawPointer(bitPattern: reused)! }
        return UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 4096)
    }

    func giveBack(_ slab: UnsafeMutableRawPointer, size: Int) {
        let kept = spare.withLock { list in
            guard list.count < Self.limit else { return false }
            list.append((size, UInt(bitPattern: slab)))
            return true
        }
        if !kept { slab.deallocate() }
    }
}
