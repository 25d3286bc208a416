internal import CURing

#if canImport(Glibc)
    import Glibc
#endif

/// How to open a file for writing.
public struct OpenOptions: Sendable, Hashable {
    /// What to do when the file does or does not exist.
    public enum Creation: Sendable, Hashable {
        /// Fail with ENOENT when the file does not exist.
        case never
        /// Create the file when it does not exist.
        case ifNeeded
        /// Create the file; fail with EEXIST when it exists (O_EXCL).
        case exclusive
    }

    public var creation: Creation
    /// Discard existing contents (O_TRUNC).
    public var truncate: Bool
    /// Every write goes to the end of the file (O_APPEND).
    public var append: Bool
    /// Permission bits for a file that is created (before the umask).
    public var permissions: UInt32
    /// When false, a symbolic link as the last component fails with ELOOP.
    public var followSymbolicLinks: Bool

    public init(
        creation: Creation = .ifNeeded, truncate: Bool = false, append: Bool = false,
        permissions: UInt32 = 0o644, followSymbolicLinks: Bool = true
    ) {
        self.creation = creation
        self.truncate = truncate
        self.append = append
        self.permissions = permissions
        self.followSymbolicLinks = followSymbolicLinks
    }

    /// A new file; an existing one is replaced (truncated) or, without
    /// `replaceExisting`, makes the open fail with EEXIST.
    public static func newFile(replaceExisting: Bool, permissions: UInt32 = 0o644) -> OpenOptions {
        OpenOptions(
            creation: replaceExisting ? .ifNeeded : .exclusive, truncate: replaceExisting, permissions: permissions)
    }

    /// An existing file, left as it is; created empty when `createIfNecessary`.
    public static func modifyFile(createIfNecessary: Bool, permissions: UInt32 = 0o644) -> OpenOptions {
        OpenOptions(creation: createIfNecessary ? .ifNeeded : .never, permissions: permissions)
    }

    var flags: Int32 {
        var flags: Int32 = 0
        switch creation {
        case .never: break
        case .ifNeeded: flags |= O_CREAT
        case .exclusive: flags |= O_CREAT | O_EXCL
        }
        if truncate { flags |= O_TRUNC }
        if append { flags |= O_APPEND }
        if !followSymbolicLinks { flags |= FSR_O_NOFOLLOW }
        return flags
    }
}

/// Access-pattern hints for the page cache (posix_fadvise).
public enum FileAdvice: Sendable {
    case normal, sequential, random, willNeed, dontNeed, noReuse

    var value: Int32 {
        switch self {
        case .normal: POSIX_FADV_NORMAL
        case .sequential: POSIX_FADV_SEQUENTIAL
        case .random: POSIX_FADV_RANDOM
        case .willNeed: POSIX_FADV_WILLNEED
        case .dontNeed: POSIX_FADV_DONTNEED
        case .noReuse: POSIX_FADV_NOREUSE
        }
    }
}
