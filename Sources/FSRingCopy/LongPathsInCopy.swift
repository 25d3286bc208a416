import FSRing
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// The copy's use of long paths (see `LongPaths`). The copy itself works
/// from open directories and never needs one; what it does afterwards by
/// path (directories' metadata, hard links) goes through here, with the
/// copy's errors.
extension LongPaths {
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
            if strlen(whole) <= limit && !openingParent { return try body(AT_FDCWD, whole) }
            let outcome = withParent(of: whole) { directory, name in
                Swift.Result { () throws(EntryError) in try body(directory, name) }
            }
            guard let outcome else { throw .last("open", path) }
            return try outcome.get()
        }
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
