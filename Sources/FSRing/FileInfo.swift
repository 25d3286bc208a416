internal import CURing
import SystemPackage

/// What kind of object a directory entry or a path names.
public enum FileType: Sendable, Hashable, CustomStringConvertible {
    case regular, directory, symbolicLink, fifo, socket, characterDevice, blockDevice, unknown

    /// From the `S_IFMT` bits of a mode.
    init(mode: UInt32) {
        switch mode & 0o170000 {
        case 0o100000: self = .regular
        case 0o040000: self = .directory
        case 0o120000: self = .symbolicLink
        case 0o010000: self = .fifo
        case 0o140000: self = .socket
        case 0o020000: self = .characterDevice
        case 0o060000: self = .blockDevice
        default: self = .unknown
        }
    }

    /// From a `getdents64` `d_type`.
    init(directoryEntryType: UInt8) {
        switch directoryEntryType {
        case 8: self = .regular
        case 4: self = .directory
        case 10: self = .symbolicLink
        case 1: self = .fifo
        case 12: self = .socket
        case 2: self = .characterDevice
        case 6: self = .blockDevice
        default: self = .unknown
        }
    }

    public var description: String {
        switch self {
        case .regular: "regular file"
        case .directory: "directory"
        case .symbolicLink: "symbolic link"
        case .fifo: "fifo"
        case .socket: "socket"
        case .characterDevice: "character device"
        case .blockDevice: "block device"
        case .unknown: "unknown"
        }
    }
}

/// A point in time with nanoseconds, as the kernel stores file times.
public struct FileTime: Sendable, Hashable, Comparable {
    public var seconds: Int64
    public var nanoseconds: UInt32

    public init(seconds: Int64, nanoseconds: UInt32) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    public static func < (lhs: FileTime, rhs: FileTime) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }
}

/// Metadata of a file, from statx(2).
public struct FileInfo: Sendable, Hashable {
    public var type: FileType
    /// Permission bits including setuid, setgid and sticky (no type bits).
    public var permissions: UInt32
    /// The whole st_mode: type and permission bits.
    public var mode: UInt32
    public var userID: UInt32
    public var groupID: UInt32
    public var size: UInt64
    /// Allocated 512-byte blocks: less than size/512 for sparse files.
    public var blocks: UInt64
    public var preferredBlockSize: UInt32
    public var inode: UInt64
    /// Device holding the file (major and minor).
    public var deviceMajor: UInt32
    public var deviceMinor: UInt32
    /// For device nodes, the device they stand for.
    public var specialDeviceMajor: UInt32
    public var specialDeviceMinor: UInt32
    public var linkCount: UInt32
    public var lastAccessed: FileTime
    public var lastModified: FileTime
    public var lastStatusChange: FileTime
    /// Creation time, when the file system records it.
    public var created: FileTime?

    /// The device holding the file as one number: equal for two files on
    /// one file system, different across a mount point.
    public var fileSystem: UInt64 { UInt64(deviceMajor) << 32 | UInt64(deviceMinor) }

    /// Identifies the file across paths (for hard links and loop detection).
    public var identity: FileIdentity { FileIdentity(deviceMajor: deviceMajor, deviceMinor: deviceMinor, inode: inode) }

    init(_ raw: statx) {
        mode = UInt32(raw.stx_mode)
        type = FileType(mode: mode)
        permissions = mode & 0o7777
        userID = raw.stx_uid
        groupID = raw.stx_gid
        size = raw.stx_size
        blocks = raw.stx_blocks
        preferredBlockSize = raw.stx_blksize
        inode = raw.stx_ino
        deviceMajor = raw.stx_dev_major
        deviceMinor = raw.stx_dev_minor
        specialDeviceMajor = raw.stx_rdev_major
        specialDeviceMinor = raw.stx_rdev_minor
        linkCount = raw.stx_nlink
        lastAccessed = FileTime(seconds: raw.stx_atime.tv_sec, nanoseconds: raw.stx_atime.tv_nsec)
        lastModified = FileTime(seconds: raw.stx_mtime.tv_sec, nanoseconds: raw.stx_mtime.tv_nsec)
        lastStatusChange = FileTime(seconds: raw.stx_ctime.tv_sec, nanoseconds: raw.stx_ctime.tv_nsec)
        created =
            raw.stx_mask & UInt32(FSR_STATX_BTIME) != 0
            ? FileTime(seconds: raw.stx_btime.tv_sec, nanoseconds: raw.stx_btime.tv_nsec) : nil
    }
}

extension FileInfo {
    /// statx(2) on the calling thread, for engines that run their own
    /// threads: `name` relative to `directory`, or the open file `directory`
    /// itself when `name` is empty. Sets errno and returns nil on failure.
    package static func blockingLookup(_ directory: Int32, _ name: UnsafePointer<CChar>, followLinks: Bool) -> FileInfo?
    {
        var raw = statx()
        var flags = followLinks ? 0 : FSR_AT_SYMLINK_NOFOLLOW
        if name.pointee == 0 { flags |= FSR_AT_EMPTY_PATH }
        let mask = UInt32(FSR_STATX_BASIC_STATS | FSR_STATX_BTIME)
        guard fsr_statx(directory, name, flags, mask, &raw) == 0 else { return nil }
        return FileInfo(raw)
    }
}

/// Device and inode: the same file wherever it is reached from.
public struct FileIdentity: Sendable, Hashable {
    public var deviceMajor: UInt32
    public var deviceMinor: UInt32
    public var inode: UInt64
}
