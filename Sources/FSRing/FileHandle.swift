internal import CURing
import Synchronization
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// An open file or directory. Reads and writes are positional, so one handle
/// can serve many concurrent tasks. Close it with `close()` (or use
/// `FileSystem.withFileHandle`); a handle dropped while open is closed then.
public final class FileHandle: Sendable {
    /// The descriptor, for calls this API does not cover. Valid until `close()`.
    public let descriptor: Int32
    /// The path it was opened with (for messages).
    public let path: FilePath
    let io: any FileIO
    /// Opened in place (`FileSystem.openForReadingInPlace`): reads by
    /// offset (`read(into:fromAbsoluteOffset:)`, `readChunk`), `info`,
    /// `advise` and `close` are plain calls on the caller's thread instead
    /// of trips to the backend.
    let callsInPlace: Bool
    private let isClosed = Atomic<Bool>(false)

    init(descriptor: Int32, path: FilePath, io: any FileIO, callsInPlace: Bool = false) {
        self.descriptor = descriptor
        self.path = path
        self.io = io
        self.callsInPlace = callsInPlace
    }

    /// Wraps a descriptor the caller already has (a pipe, a socket); the
    /// handle owns it from now on.
    public convenience init(takingOwnershipOf descriptor: Int32, path: FilePath, fileSystem: FileSystem) {
        self.init(descriptor: descriptor, path: path, io: fileSystem.io)
    }

    deinit {
        if !isClosed.load(ordering: .acquiring) { Glibc.close(descriptor) }
    }

    private func checkOpen(_ operation: String) throws(FileSystemError) {
        if isClosed.load(ordering: .acquiring) { throw FileSystemError(code: EBADF, operation: operation, path: path) }
    }

    private func withPath<Result>(_ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let error as FileSystemError where error.path == nil {
            throw FileSystemError(
                code: error.code, operation: error.operation, path: path, secondPath: error.secondPath)
        }
    }

    // MARK: Reading

    /// Reads up to `buffer.count` bytes at `offset` into caller memory;
    /// returns the number read (0 at end of file).
    public func read(into buffer: UnsafeMutableRawBufferPointer, fromAbsoluteOffset offset: Int64) async throws -> Int {
        try checkOpen("read")
        guard offset >= 0 else { throw FileSystemError(code: EINVAL, operation: "read", path: path) }
        if callsInPlace { return try readInPlace(into: buffer, fromAbsoluteOffset: offset) }
        return try await withPath { try await io.read(descriptor, into: buffer, offset: UInt64(offset)) }
    }

    /// Reads at the file position: for pipes, sockets and terminals.
    public func read(into buffer: UnsafeMutableRawBufferPointer) async throws -> Int {
        try checkOpen("read")
        return try await withPath { try await io.read(descriptor, into: buffer, offset: nil) }
    }

    /// Reads up to `length` bytes at `offset` into a new array (shorter at end of file).
    public func readChunk(fromAbsoluteOffset offset: Int64, length: Int) async throws -> [UInt8] {
        try checkOpen("read")
        guard offset >= 0, length >= 0 else { throw FileSystemError(code: EINVAL, operation: "read", path: path) }
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(length, 1), alignment: 16)
        defer { storage.deallocate() }
        var filled = 0
        while filled < length {
            let count = try await read(
                into: UnsafeMutableRawBufferPointer(rebasing: storage[filled..<length]),
                fromAbsoluteOffset: offset + Int64(filled))
            if count == 0 { break }
            filled += count
        }
        return [UInt8](UnsafeRawBufferPointer(rebasing: storage[..<filled]))
    }

    /// Reads from `offset` to the end of the file, or with `offset` nil from
    /// the file position (a pipe, standard input); fails with EFBIG past
    /// `maximumSizeAllowed` bytes.
    public func readToEnd(fromAbsoluteOffset offset: Int64? = 0, maximumSizeAllowed: Int) async throws -> [UInt8] {
        try checkOpen("read")
        // One byte more than the size, so a single read both fills and sees the end.
        let expected = (try? await info().size).map { Int(clamping: $0) } ?? 0
        let initial = min(expected, maximumSizeAllowed, 1 << 30) + 1
        return try await io.readToEnd(
            descriptor, from: offset.map { UInt64(max(0, $0)) }, initialCapacity: initial, maximum: maximumSizeAllowed,
            path: path)
    }

    // MARK: Writing

    /// One write of caller memory at `offset`; returns the count written,
    /// which may be short.
    public func write(from buffer: UnsafeRawBufferPointer, toAbsoluteOffset offset: Int64) async throws -> Int {
        try checkOpen("write")
        guard offset >= 0 else { throw FileSystemError(code: EINVAL, operation: "write", path: path) }
        return try await withPath { try await io.write(descriptor, from: buffer, offset: UInt64(offset)) }
    }

    /// Writes all of `bytes` at `offset`, however many calls it takes.
    @discardableResult
    public func write(contentsOf bytes: [UInt8], toAbsoluteOffset offset: Int64) async throws -> Int {
        try checkOpen("write")
        guard offset >= 0 else { throw FileSystemError(code: EINVAL, operation: "write", path: path) }
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        defer { storage.deallocate() }
        storage.copyBytes(from: bytes)
        var written = 0
        while written < bytes.count {
            let count = try await withPath {
                try await io.write(
                    descriptor, from: UnsafeRawBufferPointer(rebasing: storage[written..<bytes.count]),
                    offset: UInt64(offset) + UInt64(written))
            }
            if count == 0 { throw FileSystemError(code: EIO, operation: "write", path: path) }
            written += count
        }
        return written
    }

    /// Writes at the file position (pipes, O_APPEND files); returns the count written.
    public func write(from buffer: UnsafeRawBufferPointer) async throws -> Int {
        try checkOpen("write")
        return try await withPath { try await io.write(descriptor, from: buffer, offset: nil) }
    }

    // MARK: Metadata and control

    /// statx of the open file.
    public func info() async throws -> FileInfo {
        try checkOpen("statx")
        if callsInPlace { return try infoInPlace() }
        return try await withPath { try await io.info(FilePath(""), at: descriptor, flags: FSR_AT_EMPTY_PATH) }
    }

    /// fsync, or fdatasync when `dataOnly`.
    public func synchronize(dataOnly: Bool = false) async throws {
        try checkOpen("fsync")
        try await withPath { try await io.sync(descriptor, dataOnly: dataOnly) }
    }

    /// Reserves disk space (fallocate). With `keepSize` the file's size stays
    /// as it is (FALLOC_FL_KEEP_SIZE).
    public func allocate(offset: Int64, length: Int64, keepSize: Bool = false) async throws {
        try checkOpen("fallocate")
        guard offset >= 0, length > 0 else { throw FileSystemError(code: EINVAL, operation: "fallocate", path: path) }
        try await withPath {
            try await io.allocate(descriptor, mode: keepSize ? 1 : 0, offset: UInt64(offset), length: UInt64(length))
        }
    }

    /// Tells the kernel how the range will be read (posix_fadvise).
    public func advise(_ advice: FileAdvice, offset: Int64 = 0, length: Int = 0) async throws {
        try checkOpen("fadvise")
        if callsInPlace { return try adviseInPlace(advice, offset: offset, length: length) }
        try await withPath {
            try await io.advise(descriptor, offset: UInt64(max(0, offset)), length: length, advice: advice.value)
        }
    }

    /// For a directory handle: its entries, without `.` and `..`.
    public func listContents() async throws -> [DirectoryEntry] {
        try checkOpen("getdents64")
        return try await io.listDirectory(descriptor: descriptor, path: path).entries
    }

    /// Closes the descriptor. A second close fails with EBADF.
    public func close() async throws {
        if isClosed.exchange(true, ordering: .acquiringAndReleasing) {
            throw FileSystemError(code: EBADF, operation: "close", path: path)
        }
        if callsInPlace { return try closeInPlace() }
        try await withPath { try await io.close(descriptor) }
    }
}
