internal import CURing
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// One name in a directory, as getdents64 reports it.
public struct DirectoryEntry: Sendable, Hashable {
    /// The entry's name: raw bytes, not necessarily UTF-8.
    public var name: FilePath.Component
    /// The type from `d_type`; `.unknown` where the file system does not say.
    public var type: FileType
    public var inode: UInt64
}

/// The contents of one directory and the directory's own metadata.
public struct DirectoryListing: Sendable {
    public var entries: [DirectoryEntry]
    public var info: FileInfo
}

package enum DirectoryReader {
    /// Lists a directory with raw getdents64 (there is no io_uring opcode for
    /// it), blocking the calling thread: run it on a blocking pool.
    static func listBlocking(_ path: UInt, displayPath: FilePath) -> Result<DirectoryListing, FileSystemError> {
        withOpenDirectory(UnsafePointer<CChar>.at(path), displayPath: displayPath) {
            listBlocking(descriptor: $0, displayPath: displayPath)
        }
    }

    /// Runs `body` with the directory at `path` open, closed after.
    private static func withOpenDirectory<Success>(
        _ path: UnsafePointer<CChar>, displayPath: FilePath,
        _ body: (Int32) -> Result<Success, FileSystemError>
    ) -> Result<Success, FileSystemError> {
        let descriptor = LongPaths.open(path, flags: O_RDONLY | FSR_O_DIRECTORY, mode: 0)
        if descriptor < 0 { return .failure(FileSystemError(code: errno, operation: "open", path: displayPath)) }
        defer { Glibc.close(descriptor) }
        return body(descriptor)
    }

    /// Lists an open directory from its start. (The copy, which keeps
    /// names as raw bytes, reads with `readBlocking` instead.)
    static func listBlocking(descriptor: Int32, displayPath: FilePath?) -> Result<
        DirectoryListing, FileSystemError
    > {
        var entries: [DirectoryEntry] = []
        return readBlocking(descriptor: descriptor, displayPath: displayPath) { name, _, type, inode in
            guard let component = FilePath.Component(platformString: name) else { return }
            entries.append(DirectoryEntry(name: component, type: type, inode: inode))
        }.map { DirectoryListing(entries: entries, info: $0) }
    }

    /// Lists the directory at `path` (a C string at that address, `path`
    /// when displayed) as the full paths of its entries, built in one step
    /// each from the directory's bytes and the name's, as bytes: a walk of
    /// the Linux tree spent most of its time making a name object, then a
    /// path object from it.
    static func listChildrenBlocking(_ path: UInt, displayPath: FilePath) -> Result<ChildListing, FileSystemError> {
        let parent = UnsafePointer<CChar>.at(path)
        return withOpenDirectory(parent, displayPath: displayPath) { descriptor in
            // The directory's bytes, then a separator unless there is nothing
            // to separate (an empty path, or the root), then each name in turn.
            var buffer = [UInt8](UnsafeRawBufferPointer(start: parent, count: strlen(parent)))
            if let last = buffer.last, last != 0x2F { buffer.append(0x2F) }
            let prefix = buffer.count
            var paths = PathList()
            var types: [FileType] = []
            return readBlocking(descriptor: descriptor, displayPath: displayPath) { name, length, type, _ in
                buffer.removeSubrange(prefix...)
                buffer.append(contentsOf: UnsafeRawBufferPointer(start: name, count: length))
                buffer.withUnsafeBytes { paths.append(bytes: $0) }
                types.append(type)
            }.map { ChildListing(paths: paths, types: types, info: $0) }
        }
    }

    /// Reads every entry of an open directory from its start but `.` and
    /// `..`, handing each name (NUL-terminated, with its length, valid
    /// until `body` returns), type and inode to `body`; returns the
    /// directory's own metadata. Blocks the calling thread.
    package static func readBlocking(
        descriptor: Int32, displayPath: FilePath?,
        _ body: (_ name: UnsafePointer<CChar>, _ length: Int, _ type: FileType, _ inode: UInt64) -> Void
    ) -> Result<FileInfo, FileSystemError> {
        if lseek(descriptor, 0, SEEK_SET) < 0 {
            return .failure(FileSystemError(code: errno, operation: "lseek", path: displayPath))
        }
        var raw = statx()
        if fsr_statx(descriptor, "", FSR_AT_EMPTY_PATH, UInt32(FSR_STATX_BASIC_STATS | FSR_STATX_BTIME), &raw) < 0 {
            return .failure(FileSystemError(code: errno, operation: "statx", path: displayPath))
        }
        let capacity = 64 * 1024
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            let count = fsr_getdents64(descriptor, buffer, UInt(capacity))
            if count < 0 { return .failure(FileSystemError(code: errno, operation: "getdents64", path: displayPath)) }
            if count == 0 { break }
            var offset = 0
            while offset < count {
                // struct linux_dirent64: u64 ino, s64 off, u16 reclen, u8 type, char name[].
                let record = buffer + offset
                let inode = record.loadUnaligned(as: UInt64.self)
                let length = Int(record.loadUnaligned(fromByteOffset: 16, as: UInt16.self))
                let type = record.load(fromByteOffset: 18, as: UInt8.self)
                let name = (record + 19).assumingMemoryBound(to: CChar.self)
                offset += length
                if name[0] == 0x2E && (name[1] == 0 || (name[1] == 0x2E && name[2] == 0)) { continue }
                body(name, strlen(name), FileType(directoryEntryType: type), inode)
            }
        }
        return .success(FileInfo(raw))
    }
}

/// A directory's entries as full paths (bytes) with their types, and the
/// directory's own metadata: what a tree walk needs.
struct ChildListing: Sendable {
    var paths: PathList
    var types: [FileType]
    var info: FileInfo
}
