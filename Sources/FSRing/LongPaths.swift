internal import CURing

#if canImport(Glibc)
    import Glibc
#endif

/// Paths longer than one system call takes (PATH_MAX: 4,096 bytes with the
/// NUL) fail with ENAMETOOLONG; trees can be deeper than that. Such a path
/// is reached by opening its parent in steps of whole components that each
/// fit in one call, and naming the last component from there. Used only
/// after a call by whole path said ENAMETOOLONG, so ordinary paths pay
/// nothing.
package enum LongPaths {
    /// The longest path, in bytes without the NUL, that one call takes.
    package static let limit = Int(PATH_MAX) - 1

    /// Calls `body` with a directory (O_PATH, closed after) and the last
    /// component, which together name the NUL-terminated `path`; nil with
    /// errno set when the parent cannot be opened.
    package static func withParent<Result>(
        of path: UnsafePointer<CChar>, _ body: (Int32, UnsafePointer<CChar>) -> Result
    ) -> Result? {
        let count = strlen(path)
        let slash = CChar(UInt8(ascii: "/"))
        var lastSlash = count - 1
        while lastSlash >= 0 && path[lastSlash] != slash { lastSlash -= 1 }
        let parent: Int32
        switch lastSlash {
        case -1: parent = openInSteps(".", count: 1)
        case 0: parent = openInSteps("/", count: 1)
        default: parent = openInSteps(path, count: lastSlash)
        }
        guard parent >= 0 else { return nil }
        defer { close(parent) }
        return body(parent, path + lastSlash + 1)
    }

    /// openat(directory, path, ...) (close-on-exec), which also reaches a
    /// path longer than one call takes when `directory` is the current one:
    /// the descriptor, or -1 and errno.
    package static func open(
        _ path: UnsafePointer<CChar>, at directory: Int32 = FSR_AT_FDCWD, flags: Int32, mode: UInt32
    ) -> Int32 {
        let descriptor = fsr_openat(directory, path, flags | FSR_O_CLOEXEC, mode)
        guard descriptor < 0 && errno == ENAMETOOLONG && directory == FSR_AT_FDCWD else { return descriptor }
        return withParent(of: path) { fsr_openat($0, $1, flags | FSR_O_CLOEXEC, mode) } ?? -1
    }

    /// statx of a path of any length, as `open` opens one: by whole path,
    /// and in steps only after ENAMETOOLONG; nil with errno set on failure.
    package static func lookup(_ path: UnsafePointer<CChar>, followLinks: Bool) -> FileInfo? {
        if let info = FileInfo.blockingLookup(FSR_AT_FDCWD, path, followLinks: followLinks) { return info }
        return errno == ENAMETOOLONG ? info(path, followLinks: followLinks) : nil
    }

    /// statx of a path too long for one call, in steps; nil with errno set on failure.
    package static func info(_ path: UnsafePointer<CChar>, followLinks: Bool) -> FileInfo? {
        withParent(of: path) { FileInfo.blockingLookup($0, $1, followLinks: followLinks) } ?? nil
    }

    /// Opens the directory named by the first `count` bytes of `path`
    /// (O_PATH: enough to name entries in it), relative to `origin` (left
    /// open), one run of components at a time, each run short enough for a
    /// call; -1 with errno set on failure. `count` is at least 1.
    package static func openInSteps(
        _ path: UnsafePointer<CChar>, count: Int, from origin: Int32 = FSR_AT_FDCWD
    ) -> Int32 {
        let slash = CChar(UInt8(ascii: "/"))
        var directory = origin
        var start = 0
        while start < count {
            // The longest run from `start` that ends before a slash (or at the end) and fits.
            var end = count
            if count - start > limit {
                end = start + limit
                while end > start + 1 && path[end] != slash { end -= 1 }
                guard path[end] == slash else {
                    if directory != origin { close(directory) }
                    errno = ENAMETOOLONG
                    return -1
                }
            }
            let opened = withUnsafeTemporaryAllocation(of: CChar.self, capacity: end - start + 1) { run in
                run.baseAddress!.initialize(from: path + start, count: end - start)
                run[end - start] = 0
                return fsr_openat(directory, run.baseAddress!, FSR_O_PATH | FSR_O_DIRECTORY | FSR_O_CLOEXEC, 0)
            }
            let code = errno
            if directory != origin { close(directory) }
            guard opened >= 0 else {
                errno = code
                return -1
            }
            directory = opened
            start = end
            while start < count && path[start] == slash { start += 1 }
        }
        return directory
    }
}
