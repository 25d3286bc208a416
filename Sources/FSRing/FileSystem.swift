internal import CURing
import Synchronization
import SystemPackage
import URing

#if canImport(Glibc)
    import Glibc
#endif

/// The async file-system API. Names follow SwiftNIO's `_NIOFileSystem`;
/// the work runs on io_uring rings or, where io_uring is unavailable, on the
/// POSIX fallback, with the same results.
///
/// ```swift
/// let fs = try FileSystem.shared
/// let bytes = try await fs.withFileHandle(forReadingAt: "/etc/hostname") {
///     try await $0.readToEnd(maximumSizeAllowed: 1 << 20)
/// }
/// ```
public struct FileSystem: Sendable {
    let io: any FileIO
    /// Which backend does the work, and why it was chosen.
    public let choice: BackendChoice

    /// The backend in use.
    public var backend: Backend { choice.backend }

    /// A file system on `backend`, or chosen automatically when nil
    /// (`FSRING_BACKEND`, else io_uring with a POSIX fallback).
    public init(backend: Backend? = nil) throws {
        (io, choice) = try Self.select(backend)
    }

    private static let sharedInstance = Mutex<FileSystem?>(nil)

    /// The process-wide file system, chosen automatically on first use.
    /// Throws only when `FSRING_BACKEND` asks for something unavailable.
    public static var shared: FileSystem {
        get throws {
            try sharedInstance.withLock { instance in
                if let instance { return instance }
                let made = try FileSystem()
                instance = made
                return made
            }
        }
    }

    // MARK: Opening

    /// Opens an existing file for reading.
    public func openFile(forReadingAt path: FilePath, followSymbolicLinks: Bool = true) async throws -> FileHandle {
        try await open(path, flags: O_RDONLY | (followSymbolicLinks ? 0 : FSR_O_NOFOLLOW))
    }

    /// Opens a file for writing.
    public func openFile(
        forWritingAt path: FilePath, options: OpenOptions = .newFile(replaceExisting: false)
    ) async throws -> FileHandle {
        try await open(path, flags: O_WRONLY | options.flags, mode: options.permissions)
    }

    /// Opens a file for reading and writing.
    public func openFile(
        forReadingAndWritingAt path: FilePath, options: OpenOptions = .modifyFile(createIfNecessary: false)
    ) async throws -> FileHandle {
        try await open(path, flags: O_RDWR | options.flags, mode: options.permissions)
    }

    /// Opens a directory (for `listContents()` and `info()`).
    public func openDirectory(atPath path: FilePath) async throws -> FileHandle {
        try await open(path, flags: O_RDONLY | FSR_O_DIRECTORY)
    }

    private func open(_ path: FilePath, flags: Int32, mode: UInt32 = 0) async throws -> FileHandle {
        FileHandle(descriptor: try await io.open(path, at: FSR_AT_FDCWD, flags: flags, mode: mode), path: path, io: io)
    }

    /// Opens a file for reading, runs `body`, and closes the file whatever happens.
    public func withFileHandle<Result>(
        forReadingAt path: FilePath, _ body: (FileHandle) async throws -> Result
    ) async throws -> Result {
        try await using(try await openFile(forReadingAt: path), body)
    }

    /// Opens a file for writing, runs `body`, and closes the file whatever happens.
    public func withFileHandle<Result>(
        forWritingAt path: FilePath, options: OpenOptions = .newFile(replaceExisting: false),
        _ body: (FileHandle) async throws -> Result
    ) async throws -> Result {
        try await using(try await openFile(forWritingAt: path, options: options), body)
    }

    /// Opens a directory, runs `body`, and closes it whatever happens.
    public func withDirectoryHandle<Result>(
        atPath path: FilePath, _ body: (FileHandle) async throws -> Result
    ) async throws -> Result {
        try await using(try await openDirectory(atPath: path), body)
    }

    private func using<Result>(_ handle: FileHandle, _ body: (FileHandle) async throws -> Result) async throws -> Result
    {
        let result: Result
        do {
            result = try await body(handle)
        } catch {
            try? await handle.close()
            throw error
        }
        try await handle.close()
        return result
    }

    // MARK: Whole files

    /// The whole contents of a file; fails with EFBIG past `maximumSize`.
    public func readFile(at path: FilePath, maximumSize: Int = .max) async throws -> [UInt8] {
        try await withFileHandle(forReadingAt: path) { try await $0.readToEnd(maximumSizeAllowed: maximumSize) }
    }

    /// The contents of many (typically small) files, in the order given. On
    /// io_uring each file is one open -> read -> close chain and 64 chains
    /// go to the kernel together; files larger than `sizeHint` cost an extra
    /// round. Per-file failures are returned, not thrown.
    public func readFiles(at paths: [FilePath], sizeHint: Int = 16 * 1024) async -> [Result<[UInt8], FileSystemError>] {
        let collected = Mutex(
            [Result<[UInt8], FileSystemError>](
                repeating: .failure(FileSystemError(code: ECANCELED, operation: "read")), count: paths.count))
        await forEachFile(at: paths, sizeHint: sizeHint) { index, contents in
            let copy = contents.map { [UInt8]($0) }
            collected.withLock { $0[index] = copy }
        }
        return collected.withLock { $0 }
    }

    /// Reads many files like `readFiles(at:sizeHint:)`, but hands each file's
    /// contents to `body` straight from the kernel's buffer, without copying
    /// or keeping them: the way to hash or search many files. `body` runs on
    /// the backend's threads, for several files at once, and must not keep
    /// the buffer past its return. A file larger than `sizeHint` costs a
    /// second pass that reads it whole; with `readingLargerFilesWhole: false`
    /// it is reported as an EFBIG failure instead, for the caller to stream.
    public func forEachFile(
        at paths: [FilePath], sizeHint: Int = 16 * 1024, readingLargerFilesWhole: Bool = true,
        _ body: @escaping FileContentsHandler
    ) async {
        await forEachBatch(at: paths, sizeHint: sizeHint, readingLargerFilesWhole: readingLargerFilesWhole) { files in
            for file in files { body(file.index, file.contents) }
        }
    }

    /// The same reads, with the files read together handed over together
    /// (up to 64 at a time under io_uring): for work that does better on
    /// several files at once, such as hashing small files side by side in
    /// SIMD lanes. A file larger than `sizeHint`, read in a second pass, comes
    /// on its own.
    public func forEachBatch(
        at paths: [FilePath], sizeHint: Int = 16 * 1024, readingLargerFilesWhole: Bool = true,
        _ body: @escaping FileBatchHandler
    ) async {
        await forEachBatch(
            at: PathList(paths), sizeHint: sizeHint, readingLargerFilesWhole: readingLargerFilesWhole, body)
    }

    /// The same for paths kept as bytes (see `PathList`): no `FilePath` is
    /// made but for a file that fails.
    public func forEachBatch(
        at paths: PathList, sizeHint: Int = 16 * 1024, readingLargerFilesWhole: Bool = true,
        _ body: @escaping FileBatchHandler
    ) async {
        await io.forEachBatch(paths, sizeHint: sizeHint, readLargerFiles: readingLargerFilesWhole, body)
    }

    /// Writes `bytes` as the whole new contents of the file at `path`.
    public func writeFile(at path: FilePath, bytes: [UInt8], permissions: UInt32 = 0o644) async throws {
        let options = OpenOptions.newFile(replaceExisting: true, permissions: permissions)
        _ = try await withFileHandle(forWritingAt: path, options: options) {
            try await $0.write(contentsOf: bytes, toAbsoluteOffset: 0)
        }
    }

    // MARK: Metadata

    /// statx of `path`; nil when nothing is there. With
    /// `infoAboutSymbolicLink`, a link is described rather than its target.
    public func info(forFileAt path: FilePath, infoAboutSymbolicLink: Bool = false) async throws -> FileInfo? {
        do {
            return try await io.info(path, at: FSR_AT_FDCWD, flags: infoAboutSymbolicLink ? FSR_AT_SYMLINK_NOFOLLOW : 0)
        } catch let error as FileSystemError where error.code == ENOENT {
            return nil
        }
    }

    /// The target of the symbolic link at `path`, byte for byte.
    public func destinationOfSymbolicLink(at path: FilePath) async throws -> FilePath {
        try await io.readLink(path)
    }

    /// The entries of the directory at `path`, without `.` and `..`.
    public func listContents(of path: FilePath) async throws -> [DirectoryEntry] {
        try await io.listDirectory(path).entries
    }

    // MARK: Creating, moving, removing

    /// Creates a directory; with `withIntermediateDirectories`, also its
    /// missing parents, and an existing directory is not an error.
    public func createDirectory(
        at path: FilePath, withIntermediateDirectories: Bool = false, permissions: UInt32 = 0o755
    ) async throws {
        do {
            try await io.makeDirectory(path, mode: permissions)
        } catch let error as FileSystemError where withIntermediateDirectories {
            switch error.code {
            case EEXIST:
                if try await info(forFileAt: path)?.type == .directory { return }
                throw error
            case ENOENT:
                let parent = path.removingLastComponent()
                guard !parent.isEmpty, parent != path else { throw error }
                try await createDirectory(at: parent, withIntermediateDirectories: true, permissions: permissions)
                try await createDirectory(at: path, withIntermediateDirectories: false, permissions: permissions)
            default:
                throw error
            }
        }
    }

    /// Creates a symbolic link at `path` whose target is `destination`
    /// (stored as given, relative or absolute).
    public func createSymbolicLink(at path: FilePath, withDestination destination: FilePath) async throws {
        try await io.makeSymbolicLink(path, target: destination)
    }

    /// Creates a hard link at `path` to the existing file `existing`.
    public func createHardLink(at path: FilePath, to existing: FilePath) async throws {
        try await io.makeHardLink(path, to: existing)
    }

    /// Renames `source` to `destination`, replacing a file there (rename(2)).
    /// Fails with EXDEV across file systems.
    public func moveItem(at source: FilePath, to destination: FilePath) async throws {
        try await io.rename(source, to: destination, flags: 0)
    }

    /// Renames `source` to `destination`, failing with EEXIST if it exists
    /// (RENAME_NOREPLACE).
    public func moveItem(at source: FilePath, toNonExisting destination: FilePath) async throws {
        try await io.rename(source, to: destination, flags: 1)
    }

    /// Removes a file or symbolic link (unlink(2)); fails if nothing is there.
    public func removeFile(at path: FilePath) async throws {
        try await io.unlink(path, directory: false)
    }

    /// Removes an empty directory (rmdir(2)); fails if it is missing or not empty.
    public func removeEmptyDirectory(at path: FilePath) async throws {
        try await io.unlink(path, directory: true)
    }

    /// Removes a file, link, or (empty, or with `recursively`) directory.
    /// Returns how many items were removed (0 when nothing was there).
    @discardableResult
    public func removeItem(at path: FilePath, recursively: Bool = false) async throws -> Int {
        guard let info = try await info(forFileAt: path, infoAboutSymbolicLink: true) else { return 0 }
        return try await remove(path, type: info.type, recursively: recursively)
    }

    /// Removes `path`, whose type is known (from a listing, without a statx
    /// per entry, unless the file system did not say).
    private func remove(_ path: FilePath, type: FileType, recursively: Bool) async throws -> Int {
        var type = type
        if type == .unknown {
            guard let info = try await info(forFileAt: path, infoAboutSymbolicLink: true) else { return 0 }
            type = info.type
        }
        guard type == .directory else {
            try await io.unlink(path, directory: false)
            return 1
        }
        var removed = 0
        if recursively {
            for entry in try await listContents(of: path) {
                removed += try await remove(path.appending(entry.name), type: entry.type, recursively: true)
            }
        }
        try await io.unlink(path, directory: true)
        return removed + 1
    }
}
