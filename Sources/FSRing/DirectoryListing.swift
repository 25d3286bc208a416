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
        let descriptor = fsr_openat(
            FSR_AT_FDCWD, UnsafePointer<CChar>.at(path), O_RDONLY | FSR_O_DIRECTORY | FSR_O_CLOEXEC, 0)
        if descriptor < 0 { return .failure(FileSystemError(code: errno, operation: "open", path: displayPath)) }
        defer { Glibc.close(descriptor) }
        return listBlocking(descriptor: descriptor, displayPath: displayPath)
    }

    /// Lists an open directory from its start.
    package static func listBlocking(descriptor: Int32, displayPath: FilePath?) -> Result<
        DirectoryListing, FileSystemError
    > {
        if lseek(descriptor, 0, SEEK_SET) < 0 {
            return .failure(FileSystemError(code: errno, operation: "lseek", path: displayPath))
        }
        var raw = statx()
        if fsr_statx(descriptor, "", FSR_AT_EMPTY_PATH, UInt32(FSR_STATX_BASIC_STATS | FSR_STATX_BTIME), &raw) < 0 {
            return .failure(FileSystemError(code: errno, operation: "statx", path: displayPath))
        }
        var entries: [DirectoryEntry] = []
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
                guard let component = FilePath.Component(platformString: name) else { continue }
                entries.append(DirectoryEntry(name: component, type: FileType(directoryEntryType: type), inode: inode))
            }
        }
        return .success(DirectoryListing(entries: entries, info: FileInfo(raw)))
    }
}
