internal import CURing
import FSRing
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Reaching entries whose whole path is longer than one system call takes
/// (PATH_MAX: 4,096 bytes with the NUL). The copy itself works from open
/// directories and never needs such a path; what it does afterwards by
/// path (directories' metadata, hard links, --verify) goes through here.
enum LongPath {
    /// The longest path, in bytes without the NUL, that one call takes.
    static let limit = Int(PATH_MAX) - 1

    /// Calls `body` with a directory and a name in it that together name
    /// `path`: the current directory and `path` itself when it is short
    /// enough (and `openingParent` is false); else its parent, opened in
    /// steps of whole components that each fit in one call, and its last
    /// component.
    static func withParent<Result>(
        of path: FilePath, openingParent: Bool = false,
        _ body: (Int32, UnsafePointer<CChar>) throws(EntryError) -> Result
    ) throws(EntryError) -> Result {
        try path.withEntryPath { (whole) throws(EntryError) in
            let count = strlen(whole)
            if count <= limit && !openingParent { return try body(AT_FDCWD, whole) }
            // Bytes, not FilePath operations: those cost time in proportion to the path's length.
            let slash = CChar(UInt8(ascii: "/"))
            var lastSlash = count - 1
            while lastSlash >= 0 && whole[lastSlash] != slash { lastSlash -= 1 }
            guard lastSlash < count - 1 else { throw .code(EINVAL, "open", path, detail: "needs a file name") }
            let parent: Int32
            switch lastSlash {
            case -1: parent = try openInSteps(".", count: 1, displayPath: path)
            case 0: parent = try openInSteps("/", count: 1, displayPath: path)
            default: parent = try openInSteps(whole, count: lastSlash, displayPath: path)
            }
            defer { close(parent) }
            return try body(parent, whole + lastSlash + 1)
        }
    }

    /// Opens the directory named by the first `count` bytes of `path`
    /// (O_PATH: enough to name entries in it), one run of components at a
    /// time, each run short enough for a call.
    private static func openInSteps(_ path: UnsafePointer<CChar>, count: Int, displayPath: FilePath)
        throws(EntryError) -> Int32
    {
        let slash = CChar(UInt8(ascii: "/"))
        var directory = AT_FDCWD
        var start = 0
        while start < count {
            // The longest run from `start` that ends before a slash (or at the end) and fits.
            var end = count
            if count - start > limit {
                end = start + limit
                while end > start + 1 && path[end] != slash { end -= 1 }
                guard path[end] == slash else { throw .code(ENAMETOOLONG, "open", displayPath) }
            }
            let opened = withUnsafeTemporaryAllocation(of: CChar.self, capacity: end - start + 1) { run in
                run.baseAddress!.initialize(from: path + start, count: end - start)
                run[end - start] = 0
                return openat(directory, run.baseAddress!, FSR_O_PATH | O_DIRECTORY | O_CLOEXEC)
            }
            let failure = opened < 0 ? EntryError.last("open", displayPath) : nil
            if directory != AT_FDCWD { close(directory) }
            if let failure { throw failure }
            directory = opened
            start = end
            while start < count && path[start] == slash { start += 1 }
        }
        return directory
    }

    /// Whether /proc/self/fd can name an entry through its directory's descriptor.
    static let procIsMounted = access("/proc/self/fd", X_OK) == 0

    /// Calls `body` with a path to `name` in `directory` for the calls that
    /// have no form relative to a directory (the extended-attribute ones):
    /// through /proc/self/fd, so its length does not depend on the tree's
    /// depth; `wholePath` when /proc is not there or `directory` is the
    /// current one.
    static func withAttributePath<Result>(
        directory: Int32, name: UnsafePointer<CChar>, wholePath: @autoclosure () -> FilePath,
        _ body: (UnsafePointer<CChar>) throws(EntryError) -> Result
    ) throws(EntryError) -> Result {
        if directory == AT_FDCWD {
            return try body(name)
        }
        guard procIsMounted else {
            return try wholePath().withEntryPath { (path) throws(EntryError) in try body(path) }
        }
        // The bytes of the name as they are: it need not be UTF-8.
        let prefix = Array("/proc/self/fd/\(directory)/".utf8CString.dropLast())
        let nameLength = strlen(name)
        return try withUnsafeTemporaryAllocation(of: CChar.self, capacity: prefix.count + nameLength + 1) {
            (path) throws(EntryError) in
            _ = path.initialize(from: prefix)
            (path.baseAddress! + prefix.count).initialize(from: name, count: nameLength + 1)
            return try body(path.baseAddress!)
        }
    }
}
