internal import CURing
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// The fallback: the same calls as blocking system calls on a small pool of
/// threads, for where io_uring is unavailable (seccomp, gVisor,
/// `kernel.io_uring_disabled`). Reads and writes on pipes and sockets wait
/// for readiness in a poller first, so they can be cancelled.
final class PosixFileIO: FileIO {
    var backend: Backend { .posix }
    let blocking: BlockingPool
    private let poller: ReadinessPoller

    init(threads: Int) throws {
        blocking = BlockingPool(threads: threads)
        poller = try ReadinessPoller()
    }

    /// Runs a system call that returns -1 and sets errno, giving back the
    /// result or `-errno` as io_uring does.
    private func call(_ body: @escaping @Sendable () -> Int) async throws -> Int {
        let result = await blocking.run(
            {
                let value = body()
                return value < 0 ? -Int(errno) : value
            }, onCancel: { -Int(ECANCELED) })
        if result == -Int(ECANCELED) { try Task.checkCancellation() }
        return result
    }

    private func checked(
        _ operation: String, _ path: FilePath?, _ second: FilePath? = nil, _ body: @escaping @Sendable () -> Int
    ) async throws -> Int {
        let result = try await call(body)
        if result < 0 {
            throw FileSystemError(code: Int32(-result), operation: operation, path: path, secondPath: second)
        }
        return result
    }

    func open(_ path: FilePath, at directory: Int32, flags: Int32, mode: UInt32) async throws -> Int32 {
        let cPath = CPath(path)
        defer { withExtendedLifetime(cPath) {} }
        let address = cPath.address
        return Int32(
            try await checked("open", path) {
                Int(LongPaths.open(.at(address), at: directory, flags: flags, mode: mode))
            })
    }

    func close(_ descriptor: Int32) async throws {
        // close(2) never blocks long and must not be skipped on cancellation.
        if Glibc.close(descriptor) < 0 { throw FileSystemError(code: errno, operation: "close") }
    }

    /// Whether reads and writes on `descriptor` could wait forever (pipes,
    /// sockets, terminals) rather than for the disk.
    private static func isPollable(_ descriptor: Int32) -> Bool {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return false }
        let type = info.st_mode & S_IFMT
        return type == S_IFIFO || type == S_IFSOCK || type == S_IFCHR
    }

    func read(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, offset: UInt64?) async throws -> Int {
        let address = UInt(bitPattern: buffer.baseAddress)
        let count = buffer.count
        let position = offset.map { Int64($0) } ?? -1
        return try await transfer(
            descriptor, "read", waitingFor: Int16(POLLIN),
            withoutWaiting: {
                Int(fsr_pread_nowait(descriptor, UnsafeMutableRawPointer(bitPattern: address), UInt(count), position))
            },
            waiting: {
                let target = UnsafeMutableRawPointer(bitPattern: address)
                if let offset { return Glibc.pread(descriptor, target, count, off_t(offset)) }
                return Glibc.read(descriptor, target, count)
            })
    }

    func write(_ descriptor: Int32, from buffer: UnsafeRawBufferPointer, offset: UInt64?) async throws -> Int {
        let address = UInt(bitPattern: buffer.baseAddress)
        let count = buffer.count
        let position = offset.map { Int64($0) } ?? -1
        return try await transfer(
            descriptor, "write", waitingFor: Int16(POLLOUT),
            withoutWaiting: {
                Int(fsr_pwrite_nowait(descriptor, UnsafeRawPointer(bitPattern: address), UInt(count), position))
            },
            waiting: {
                let source = UnsafeRawPointer(bitPattern: address)
                if let offset { return Glibc.pwrite(descriptor, source, count, off_t(offset)) }
                return Glibc.write(descriptor, source, count)
            })
    }

    /// A read or write on the pool in one system call when it can go
    /// without waiting (RWF_NOWAIT: data in the cache, a pipe with data).
    /// Otherwise: a pipe, socket or terminal that is not ready waits in the
    /// poller, where cancellation reaches it; a file waits for the disk in
    /// the blocking call.
    private func transfer(
        _ descriptor: Int32, _ operation: String, waitingFor events: Int16,
        withoutWaiting: @escaping @Sendable () -> Int, waiting: @escaping @Sendable () -> Int
    ) async throws -> Int {
        while true {
            let result = try await call {
                let quick = withoutWaiting()
                if quick >= 0 { return quick }
                let error = errno
                guard error == EAGAIN || error == EOPNOTSUPP else {
                    errno = error
                    return -1
                }
                // Not every pollable file supports RWF_NOWAIT (EOPNOTSUPP):
                // ask poll whether the blocking call would wait.
                if Self.isPollable(descriptor) {
                    var probe = pollfd(fd: descriptor, events: events, revents: 0)
                    if poll(&probe, 1, 0) == 0 {
                        errno = EAGAIN
                        return -1
                    }
                }
                return waiting()
            }
            if result == -Int(EAGAIN) {
                if await poller.wait(for: descriptor, events: events) { continue }
                throw CancellationError()
            }
            if result < 0 { throw FileSystemError(code: Int32(-result), operation: operation) }
            return result
        }
    }

    func info(_ path: FilePath, at directory: Int32, flags: Int32) async throws -> FileInfo {
        let cPath = CPath(path)
        defer { withExtendedLifetime(cPath) {} }
        let address = cPath.address
        let result = await blocking.run(
            { () -> Result<FileInfo, FileSystemError> in
                var raw = statx()
                let mask = UInt32(FSR_STATX_BASIC_STATS | FSR_STATX_BTIME)
                if fsr_statx(directory, .at(address), flags, mask, &raw) == 0 { return .success(FileInfo(raw)) }
                if errno == ENAMETOOLONG && directory == FSR_AT_FDCWD,
                    let info = LongPaths.info(.at(address), followLinks: flags & FSR_AT_SYMLINK_NOFOLLOW == 0)
                {
                    return .success(info)
                }
                return .failure(FileSystemError(code: errno, operation: "statx", path: path))
            }, onCancel: { .failure(FileSystemError(code: ECANCELED, operation: "statx", path: path)) })
        try Task.checkCancellation()
        return try result.get()
    }

    func makeDirectory(_ path: FilePath, mode: UInt32) async throws {
        let cPath = CPath(path)
        defer { withExtendedLifetime(cPath) {} }
        let address = cPath.address
        _ = try await checked("mkdir", path) { Int(mkdirat(FSR_AT_FDCWD, .at(address), mode_t(mode))) }
    }

    func makeSymbolicLink(_ path: FilePath, target: FilePath) async throws {
        let cPath = CPath(path)
        defer { withExtendedLifetime(cPath) {} }
        let cTarget = CPath(target)
        defer { withExtendedLifetime(cTarget) {} }
        let (address, targetAddress) = (cPath.address, cTarget.address)
        _ = try await checked("symlink", path, target) {
            Int(symlinkat(.at(targetAddress), FSR_AT_FDCWD, .at(address)))
        }
    }

    func makeHardLink(_ path: FilePath, to existing: FilePath) async throws {
        let cPath = CPath(path)
        defer { withExtendedLifetime(cPath) {} }
        let cExisting = CPath(existing)
        defer { withExtendedLifetime(cExisting) {} }
        let (address, existingAddress) = (cPath.address, cExisting.address)
        _ = try await checked("link", existing, path) {
            Int(linkat(FSR_AT_FDCWD, .at(existingAddress), FSR_AT_FDCWD, .at(address), 0))
        }
    }

    func rename(_ source: FilePath, to destination: FilePath, flags: UInt32) async throws {
        let cSource = CPath(source)
        defer { withExtendedLifetime(cSource) {} }
        let cDestination = CPath(destination)
        defer { withExtendedLifetime(cDestination) {} }
        let (sourceAddress, destinationAddress) = (cSource.address, cDestination.address)
        _ = try await checked("rename", source, destination) {
            Int(fsr_renameat2(FSR_AT_FDCWD, .at(sourceAddress), FSR_AT_FDCWD, .at(destinationAddress), flags))
        }
    }

    func unlink(_ path: FilePath, directory: Bool) async throws {
        let cPath = CPath(path)
        defer { withExtendedLifetime(cPath) {} }
        let address = cPath.address
        _ = try await checked(directory ? "rmdir" : "unlink", path) {
            Int(unlinkat(FSR_AT_FDCWD, .at(address), directory ? FSR_AT_REMOVEDIR : 0))
        }
    }

    func sync(_ descriptor: Int32, dataOnly: Bool) async throws {
        _ = try await checked("fsync", nil) { Int(dataOnly ? fdatasync(descriptor) : fsync(descriptor)) }
    }

    func allocate(_ descriptor: Int32, mode: Int32, offset: UInt64, length: UInt64) async throws {
        _ = try await checked("fallocate", nil) {
            Int(fsr_fallocate(descriptor, mode, Int64(offset), Int64(length)))
        }
    }

    func advise(_ descriptor: Int32, offset: UInt64, length: Int, advice: Int32) async throws {
        // posix_fadvise returns the error number instead of setting errno.
        let result = await blocking.run { Int(posix_fadvise(descriptor, off_t(offset), off_t(length), advice)) }
        if result != 0 { throw FileSystemError(code: Int32(result), operation: "fadvise") }
    }

    func forEachBatch(
        _ paths: PathList, sizeHint: Int, readLargerFiles: Bool, _ body: @escaping FileBatchHandler
    ) async {
        // One pool job per thread, each reading its share of the files in turn.
        let share = max(1, (paths.count + blocking.threadCount - 1) / blocking.threadCount)
        await withTaskGroup(of: Void.self) { group in
            for start in stride(from: 0, to: paths.count, by: share) {
                let range = start..<min(start + share, paths.count)
                group.addTask {
                    await self.blocking.run {
                        // One buffer for all of this thread's batches, grown as needed.
                        var buffer: [UInt8] = []
                        for batchStart in stride(from: range.lowerBound, to: range.upperBound, by: 64) {
                            Self.readBatchBlocking(
                                paths, batchStart..<min(batchStart + 64, range.upperBound), sizeHint: sizeHint,
                                readLargerFiles: readLargerFiles, buffer: &buffer, body)
                        }
                    }
                }
            }
        }
    }

    /// Reads the files of one batch in turn, one after another into
    /// `buffer`, so that they can be handed over together, as under
    /// io_uring; a file larger than `sizeHint` is handed over alone.
    private static func readBatchBlocking(
        _ paths: PathList, _ batch: Range<Int>, sizeHint: Int, readLargerFiles: Bool, buffer: inout [UInt8],
        _ body: FileBatchHandler
    ) {
        var used = 0
        var files: [(index: Int, contents: Result<Range<Int>, FileSystemError>)] = []
        for index in batch {
            let limit = readLargerFiles ? Int.max : sizeHint
            let read = paths.withCString(of: index) {
                readWholeFileBlocking(
                    $0, path: { paths[index] }, sizeHint: sizeHint, limit: limit, into: &buffer, at: used)
            }
            switch read {
            case .success(let count) where count > sizeHint:
                buffer.withUnsafeBytes {
                    body([(index, .success(UnsafeRawBufferPointer(rebasing: $0[used..<used + count])))])
                }
            case .success(let count):
                files.append((index, .success(used..<used + count)))
                used += count
            case .failure(let error):
                files.append((index, .failure(error)))
            }
        }
        guard !files.isEmpty else { return }
        buffer.withUnsafeBytes { all in
            body(files.map { file in (file.index, file.contents.map { UnsafeRawBufferPointer(rebasing: all[$0]) }) })
        }
    }

    /// open + read until EOF + close on the current thread, into `buffer`
    /// from `start` (grown as needed, never shrunk); returns the file's
    /// size. Fails with EFBIG once more than `limit` bytes are read. `path`
    /// names the file in errors (made only then).
    static func readWholeFileBlocking(
        _ cPath: UnsafePointer<CChar>, path: () -> FilePath, sizeHint: Int, limit: Int = .max,
        into buffer: inout [UInt8], at start: Int
    ) -> Result<Int, FileSystemError> {
        let descriptor = LongPaths.open(cPath, flags: O_RDONLY, mode: 0)
        if descriptor < 0 { return .failure(FileSystemError(code: errno, operation: "open", path: path())) }
        defer { Glibc.close(descriptor) }
        var filled = 0
        while true {
            // Room for at least the hint (one byte more tells "larger"), doubling after that.
            let needed = start + filled + max(sizeHint + 1, 4096)
            if buffer.count < needed { buffer += repeatElement(0, count: max(needed - buffer.count, buffer.count)) }
            let count = buffer.withUnsafeMutableBytes {
                Glibc.read(descriptor, $0.baseAddress! + start + filled, $0.count - start - filled)
            }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(FileSystemError(code: errno, operation: "read", path: path()))
            }
            if count == 0 { break }
            filled += count
            if filled > limit { return .failure(FileSystemError(code: EFBIG, operation: "read", path: path())) }
        }
        return .success(filled)
    }
}
