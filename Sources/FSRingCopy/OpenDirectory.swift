import FSRing
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// A directory opened once and shared by the jobs that copy its entries,
/// so each entry is reached by name (openat, mkdirat, ...) without a path
/// lookup from the root. Closed when the last job holding it is done.
final class OpenDirectory: Sendable {
    let descriptor: Int32
    let path: FilePath
    let info: FileInfo
    /// True when this run created the directory, so nothing can be in the
    /// way of a new entry and no existence checks are needed.
    let isNew: Bool
    /// The group a file created here gets: the directory's own when it is
    /// setgid, the copier's otherwise.
    let groupOfNewFiles: UInt32
    /// The directory's POSIX ACLs; known only for a destination whose
    /// copies keep modes (else empty).
    let acls: ACLKinds

    init(descriptor: Int32, path: FilePath, info: FileInfo, isNew: Bool, acls: ACLKinds = []) {
        self.descriptor = descriptor
        self.path = path
        self.info = info
        self.isNew = isNew
        self.acls = acls
        groupOfNewFiles = Self.groupOfNewFiles(in: info)
    }

    /// The group a file created in a directory with `info` gets.
    static func groupOfNewFiles(in info: FileInfo) -> UInt32 {
        info.permissions & UInt32(S_ISGID) != 0 ? info.groupID : getegid()
    }

    deinit { close(descriptor) }

    /// Opens the directory `name` under `parent`, or `path` itself when
    /// there is no parent; `path` may be empty for the current directory,
    /// so that entries below it are named without a leading `./`. With
    /// `readingACLs`, its ACLs are learnt: from the parent for a directory
    /// this run made there, else by asking.
    static func open(
        _ name: RawName?, in parent: OpenDirectory?, path: FilePath, followLink: Bool, isNew: Bool,
        readingACLs: Bool = false
    ) throws(EntryError) -> OpenDirectory {
        let descriptor = try openDescriptor(name, in: parent, path: path, followLink: followLink)
        guard let info = FileInfo.blockingLookup(descriptor, "", followLinks: false) else {
            let failure = EntryError.last("statx", path)
            close(descriptor)
            throw failure
        }
        var acls: ACLKinds = []
        if readingACLs {
            if isNew, let parent {
                acls = ACLKinds.inherited(from: parent.acls, isDirectory: true)
            } else {
                acls = ACLKinds(ofDirectory: descriptor)
            }
        }
        return OpenDirectory(descriptor: descriptor, path: path, info: info, isNew: isNew, acls: acls)
    }

    /// The descriptor `open` starts from, for a caller that learns the
    /// directory's metadata another way (a listing has it).
    static func openDescriptor(
        _ name: RawName?, in parent: OpenDirectory?, path: FilePath, followLink: Bool
    ) throws(EntryError) -> Int32 {
        let flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (followLink ? 0 : O_NOFOLLOW)
        let descriptor: Int32
        if let parent, let name {
            descriptor = name.withCString { openat(parent.descriptor, $0, flags) }
        } else {
            let opened: FilePath = path.isEmpty ? "." : path
            descriptor = opened.withPlatformString { openat(AT_FDCWD, $0, flags) }
        }
        guard descriptor >= 0 else { throw .last("open", path.isEmpty ? "." : path) }
        return descriptor
    }
}

extension FilePath {
    /// `withPlatformString` for a body that throws an `EntryError` (the
    /// standard form only rethrows untyped errors).
    func withEntryPath<Result>(_ body: (UnsafePointer<CChar>) throws(EntryError) -> Result) throws(EntryError)
        -> Result
    {
        let outcome = withPlatformString { path in Swift.Result { () throws(EntryError) in try body(path) } }
        return try outcome.get()
    }
}
