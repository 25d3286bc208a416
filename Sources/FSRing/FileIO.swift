internal import CURing
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// The primitive calls every backend implements. `FileSystem` and
/// `FileHandle` are written once on top of these; the io_uring backend and
/// the POSIX fallback differ only here.
///
/// Buffers are passed as addresses: every call returns only after the kernel
/// is done with the memory, so the caller's buffer outlives its use.
protocol FileIO: Sendable {
    var backend: Backend { get }

    func open(_ path: FilePath, at directory: Int32, flags: Int32, mode: UInt32) async throws -> Int32
    func close(_ descriptor: Int32) async throws
    /// `offset` nil reads at the file position (pipes, sockets).
    func read(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, offset: UInt64?) async throws -> Int
    func write(_ descriptor: Int32, from buffer: UnsafeRawBufferPointer, offset: UInt64?) async throws -> Int
    /// statx(2) of `path` relative to `directory`; an empty path with
    /// `AT_EMPTY_PATH` describes `directory` itself.
    func info(_ path: FilePath, at directory: Int32, flags: Int32) async throws -> FileInfo
    func makeDirectory(_ path: FilePath, mode: UInt32) async throws
    func makeSymbolicLink(_ path: FilePath, target: FilePath) async throws
    func makeHardLink(_ path: FilePath, to existing: FilePath) async throws
    func rename(_ source: FilePath, to destination: FilePath, flags: UInt32) async throws
    func unlink(_ path: FilePath, directory: Bool) async throws
    func sync(_ descriptor: Int32, dataOnly: Bool) async throws
    func allocate(_ descriptor: Int32, mode: Int32, offset: UInt64, length: UInt64) async throws
    func advise(_ descriptor: Int32, offset: UInt64, length: Int, advice: Int32) async throws
    /// Threads for calls that have no io_uring opcode (getdents64, readlink).
    var blocking: BlockingPool { get }
    /// Reads each file whole, with as few submissions as possible, and hands
    /// the files read together to `body`, each with its index and contents
    /// (or error). `body` runs on backend threads, for several batches at
    /// once. A file larger than `sizeHint` is read whole in a second pass
    /// when `readLargerFiles` (and handed over on its own), or else reported
    /// as EFBIG for the caller to stream.
    func forEachBatch(
        _ paths: PathList, sizeHint: Int, readLargerFiles: Bool, _ body: @escaping FileBatchHandler
    ) async
}

/// Receives one file: its index among the paths given and its contents,
/// valid only during the call.
public typealias FileContentsHandler =
    @Sendable (_ index: Int, _ contents: Result<UnsafeRawBufferPointer, FileSystemError>)
    -> Void

/// One file of a batch: its index among the paths given, and its contents
/// or the reason it could not be read.
public typealias BatchFile = (index: Int, contents: Result<UnsafeRawBufferPointer, FileSystemError>)

/// Receives the files read together (up to 64), their contents valid only
/// during the call: for work that gains from seeing several files at once.
public typealias FileBatchHandler = @Sendable (_ files: [BatchFile]) -> Void

/// Which implementation of the file API is doing the work.
public enum Backend: String, Sendable, CaseIterable, CustomStringConvertible {
    /// io_uring rings, one thread per core.
    case uring
    /// Blocking system calls on a small thread pool.
    case posix

    public var description: String { rawValue }
}

extension FileIO {
    /// Reads from `offset` (nil: the file position) until end of file (or
    /// `maximum` bytes, past which it fails with EFBIG), growing the buffer
    /// as needed.
    func readToEnd(
        _ descriptor: Int32, from offset: UInt64?, initialCapacity: Int, maximum: Int = .max, path: FilePath?
    ) async throws -> [UInt8] {
        var capacity = max(4096, initialCapacity)
        var storage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        defer { storage.deallocate() }
        var filled = 0
        while true {
            if filled == capacity {
                let larger = UnsafeMutableRawPointer.allocate(byteCount: capacity * 2, alignment: 16)
                larger.copyMemory(from: storage, byteCount: filled)
                storage.deallocate()
                storage = larger
                capacity *= 2
            }
            let count: Int
            do {
                count = try await read(
                    descriptor, into: UnsafeMutableRawBufferPointer(start: storage + filled, count: capacity - filled),
                    offset: offset.map { $0 + UInt64(filled) })
            } catch let error as FileSystemError {
                throw FileSystemError(code: error.code, operation: error.operation, path: path)
            }
            if count == 0 { break }
            filled += count
            if filled > maximum { throw FileSystemError(code: EFBIG, operation: "read", path: path) }
        }
        return [UInt8](UnsafeRawBufferPointer(start: storage, count: filled))
    }
}

/// Up to this many paths, `infos(of:_:followLinks:)` looks them up without
/// the blocking pool.
package let infosLookedUpInPlace = 4

extension FileIO {
    /// All entries of the directory at `path` (without `.` and `..`) and the
    /// directory's own metadata.
    func listDirectory(_ path: FilePath) async throws -> DirectoryListing {
        let cPath = CPath(path)
        defer { withExtendedLifetime(cPath) {} }
        let address = cPath.address
        let result = await blocking.run(
            { DirectoryReader.listBlocking(address, displayPath: path) },
            onCancel: { .failure(FileSystemError(code: ECANCELED, operation: "open", path: path)) })
        try Task.checkCancellation()
        return try result.get()
    }

    /// Several directories' entries as full paths (see `ChildListing`),
    /// listed in one job of the blocking pool, in order.
    func listChildren(_ paths: [FilePath]) async -> [Result<ChildListing, FileSystemError>] {
        let cPaths = CPathList(PathList(paths), paths.indices)
        defer { withExtendedLifetime(cPaths) {} }
        let addresses = paths.indices.map { UInt(bitPattern: cPaths.pointer($0)) }
        return await blocking.run(
            { zip(addresses, paths).map { DirectoryReader.listChildrenBlocking($0, displayPath: $1) } },
            onCancel: { paths.map { .failure(FileSystemError(code: ECANCELED, operation: "open", path: $0)) } })
    }

    /// What `paths[range]` are (a final link followed with `followLinks`),
    /// looked up in one job of the blocking pool (a few in place), in order;
    /// nil where the lookup failed.
    func infos(of paths: PathList, _ range: Range<Int>, followLinks: Bool) async -> [FileInfo?] {
        let cPaths = CPathList(paths, range)
        defer { withExtendedLifetime(cPaths) {} }
        let addresses = (0..<range.count).map { UInt(bitPattern: cPaths.pointer($0)) }
        // A few are looked up here, on the caller's thread: a statx of cached
        // metadata takes microseconds, while the trip to a pool thread (and
        // starting one, early in a run) cost 0.11-0.14 ms of the 2.8 ms that
        // `fsring hash FILE` took (300 paired runs each, two rounds).
        if range.count <= infosLookedUpInPlace {
            return addresses.map { LongPaths.lookup(.at($0), followLinks: followLinks) }
        }
        return await blocking.run(
            { addresses.map { LongPaths.lookup(.at($0), followLinks: followLinks) } },
            onCancel: { addresses.map { _ in nil } })
    }

    /// The entries of an open directory.
    func listDirectory(descriptor: Int32, path: FilePath?) async throws -> DirectoryListing {
        let result = await blocking.run { DirectoryReader.listBlocking(descriptor: descriptor, displayPath: path) }
        return try result.get()
    }

    /// The target of a symbolic link, byte for byte.
    func readLink(_ path: FilePath) async throws -> FilePath {
        let cPath = CPath(path)
        defer { withExtendedLifetime(cPath) {} }
        let address = cPath.address
        let result = await blocking.run { () -> Result<FilePath, FileSystemError> in
            var size = 256
            while true {
                var buffer = [CChar](repeating: 0, count: size + 1)
                let count = readlink(.at(address), &buffer, size)
                if count < 0 { return .failure(FileSystemError(code: errno, operation: "readlink", path: path)) }
                if count < size { return .success(FilePath(platformString: Array(buffer[..<count]) + [0])) }
                size *= 4
            }
        }
        return try result.get()
    }
}
