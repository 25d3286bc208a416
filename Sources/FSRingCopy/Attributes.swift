internal import CURing
import FSRing
import SystemPackage
import URing

#if canImport(Glibc)
    import Glibc
#endif

/// Gives a copy the source's metadata, in cp's order: owner first (chown
/// clears setuid and setgid), then extended attributes, then mode, then
/// times (last, so nothing after them changes them).
struct Attributes {
    let run: CopyRun
    /// The calling copy thread's buffers.
    let scratch: Scratch
    var preserve: CopyOptions.Attributes { run.options.preserve }

    /// For a regular file, through its open descriptors. `createdMode`: the
    /// mode the file was created with, nil for one that existed before.
    func apply(
        _ info: FileInfo, from source: Int32, to destination: Int32, createdMode: UInt32?, context: EntryContext
    ) throws(EntryError) {
        let permissions = try setOwner(info, context) { fchown(destination, $0, $1) }
        var sourceACLs: ACLKinds = []
        if let kinds = attributesCopied {
            sourceACLs = try ExtendedAttributes.copy(
                kinds, list: { flistxattr(source, $0, $1) }, get: { fgetxattr(source, $0, $1, $2) },
                set: { fsetxattr(destination, $0, $1, $2, 0) }, context: context, scratch: scratch)
        }
        if preserve.contains(.mode) {
            let inherited = context.inheritedACLs
            try inherited.drop(keeping: sourceACLs, remove: { fremovexattr(destination, $0) }, context: context)
            // A default ACL, not the umask, masked the mode the file was made with.
            if !inherited.isEmpty || createdMode.map({ permissions != $0 & ~run.creationMask }) ?? true {
                if fchmod(destination, mode_t(permissions)) != 0 { throw .last("chmod", context.destination) }
            }
        }
        if preserve.contains(.timestamps) {
            let result = Self.withTimes(info) { futimens(destination, $0) }
            if result != 0 { throw .last("utimensat", context.destination) }
        }
    }

    /// For a symbolic link or special file just made under its name.
    func apply(_ info: FileInfo, at context: EntryContext, isLink: Bool) throws(EntryError) {
        try context.sourceName.withCString { (sourceName) throws(EntryError) in
            try context.destinationName.withCString { (name) throws(EntryError) in
                try apply(
                    info, source: (context.sourceDirectory, sourceName),
                    destination: (context.destinationDirectory, name), isLink: isLink,
                    acls: isLink ? [] : context.inheritedACLs, context: context)
            }
        }
    }

    /// For a directory, once its contents are done; through its parent in
    /// each tree, opened by the cursors.
    func applyToDirectory(
        _ finish: DirectoryFinish, sources: DirectoryCursor, destinations: DirectoryCursor
    ) throws(EntryError) {
        let context = EntryContext(
            sourceDirectory: AT_FDCWD, sourceName: RawName(finish.source), destinationDirectory: AT_FDCWD,
            destinationName: RawName(finish.destination), destinationIsNew: false,
            copyOwner: finish.destinationOwner, destinationDevice: 0, followLink: false)
        try sources.withParent(of: finish.source) { (sourceDirectory, sourceName) throws(EntryError) in
            try destinations.withParent(of: finish.destination) { (directory, name) throws(EntryError) in
                try apply(
                    finish.info, source: (sourceDirectory, sourceName), destination: (directory, name),
                    isLink: false, acls: finish.destinationACLs, context: context)
            }
        }
    }

    /// An entry named relative to a directory (or the current one).
    typealias EntryName = (directory: Int32, name: UnsafePointer<CChar>)

    /// `acls`: those the copy has before its metadata is set.
    private func apply(
        _ info: FileInfo, source: EntryName, destination: EntryName, isLink: Bool, acls: ACLKinds,
        context: EntryContext
    ) throws(EntryError) {
        let (directory, name) = destination
        let permissions = try setOwner(info, context) { fchownat(directory, name, $0, $1, AT_SYMLINK_NOFOLLOW) }
        // Links have attributes too (trusted.*, security.* such as SELinux
        // labels; the kernel allows no user.* on them), reached by path.
        var sourceACLs: ACLKinds = []
        if let kinds = attributesCopied {
            sourceACLs = try copyAttributes(kinds, from: source, to: destination, context: context)
        }
        // Links have no mode of their own.
        if !isLink {
            if preserve.contains(.mode) {
                try LongPaths.withAttributePath(directory: directory, name: name, wholePath: context.destination) {
                    (path) throws(EntryError) in
                    try acls.drop(keeping: sourceACLs, remove: { lremovexattr(path, $0) }, context: context)
                }
            }
            // Without `mode`, a directory (made 0700 while it is filled) gets
            // the default a new one would, 0777 less the umask, and keeps a
            // sticky bit, as cp's copy does (a shared drop folder stays one).
            let mode: UInt32? =
                preserve.contains(.mode)
                ? permissions
                : info.type == .directory ? 0o777 & ~run.creationMask | info.permissions & UInt32(Glibc.S_ISVTX) : nil
            if let mode, fchmodat(directory, name, mode_t(mode), 0) != 0 {
                throw .last("chmod", context.destination)
            }
        }
        if preserve.contains(.timestamps) {
            if Self.withTimes(info, { utimensat(directory, name, $0, AT_SYMLINK_NOFOLLOW) }) != 0 {
                throw .last("utimensat", context.destination)
            }
        }
    }

    /// Extended attributes by path (without following a final link); the
    /// ACLs the source has.
    private func copyAttributes(
        _ kinds: ExtendedAttributes.Kinds, from source: EntryName, to destination: EntryName, context: EntryContext
    ) throws(EntryError) -> ACLKinds {
        try LongPaths.withAttributePath(directory: source.directory, name: source.name, wholePath: context.source) {
            (source) throws(EntryError) in
            try LongPaths.withAttributePath(
                directory: destination.directory, name: destination.name, wholePath: context.destination
            ) { (destination) throws(EntryError) in
                try ExtendedAttributes.copy(
                    kinds, list: { llistxattr(source, $0, $1) }, get: { lgetxattr(source, $0, $1, $2) },
                    set: { lsetxattr(destination, $0, $1, $2, 0) }, context: context, scratch: scratch)
            }
        }
    }

    /// Which extended attributes are copied, as cp decides: ACLs belong to
    /// the mode (`--no-preserve=xattr` keeps them), the rest to `xattr`;
    /// nil for none.
    private var attributesCopied: ExtendedAttributes.Kinds? {
        switch (preserve.contains(.mode), preserve.contains(.xattr)) {
        case (true, true): .all
        case (true, false): .acls
        case (false, true): .allButACLs
        case (false, false): nil
        }
    }

    /// Gives the copy the source's owner and group when they differ; returns
    /// the permission bits the copy may then have. Where that is not
    /// permitted (not root), the group alone is tried and the copy is left
    /// silently as the copier's, as cp does; and as cp does, it then loses
    /// setuid and setgid (a setuid program of root's copied by a user must
    /// not become a setuid program of that user's), a regular file its
    /// sticky bit too.
    private func setOwner(_ info: FileInfo, _ context: EntryContext, chown: (UInt32, UInt32) -> Int32)
        throws(EntryError) -> UInt32
    {
        guard ownerDiffers(info, context), chown(info.userID, info.groupID) != 0 else { return info.permissions }
        guard errno == EPERM else { throw .last("chown", context.destination) }
        _ = chown(UInt32.max, info.groupID)
        let setuidAndSetgid: UInt32 = 0o6000
        let sticky: UInt32 = 0o1000
        return info.permissions & ~(info.type == .regular ? setuidAndSetgid | sticky : setuidAndSetgid)
    }

    /// Whether ownership is kept and the copy's owner is not the source's
    /// (or not known): only then does chown run.
    private func ownerDiffers(_ info: FileInfo, _ context: EntryContext) -> Bool {
        preserve.contains(.ownership) && context.copyOwner != FileOwner(user: info.userID, group: info.groupID)
    }

    /// Calls `body` with atime and mtime as utimensat wants them: two
    /// timespecs side by side. (A pointer to the first of a tuple's elements
    /// would point at a copy of that element alone.)
    static func withTimes(_ info: FileInfo, _ body: (UnsafePointer<timespec>) -> Int32) -> Int32 {
        var times = (
            timespec(tv_sec: Int(info.lastAccessed.seconds), tv_nsec: Int(info.lastAccessed.nanoseconds)),
            timespec(tv_sec: Int(info.lastModified.seconds), tv_nsec: Int(info.lastModified.nanoseconds))
        )
        return withUnsafeBytes(of: &times) { body($0.assumingMemoryBound(to: timespec.self).baseAddress!) }
    }
}

/// Copies every extended attribute the source lists, through the copy
/// thread's buffers: Linux caps a name list (XATTR_LIST_MAX) and a value
/// (XATTR_SIZE_MAX) at 64 KiB, their size.
///
/// Each call first offers `firstTry` bytes, and the whole buffer only when
/// that is too small (ERANGE): the kernel allocates a buffer as large as
/// the one it is given (and zeroes it for a value), so offering 64 KiB cost
/// an order-4 page allocation for every file, nearly always to list
/// nothing (listxattr was 3.3% of a copy of 100,000 small files).
enum ExtendedAttributes {
    static let firstTry = 256

    /// Which of a file's attributes a copy takes.
    enum Kinds {
        case all, acls, allButACLs
    }

    /// Copies the attributes of `kinds`; returns the ACLs among those listed.
    @discardableResult
    static func copy(
        _ kinds: Kinds, list: (UnsafeMutablePointer<CChar>?, Int) -> Int,
        get: (UnsafePointer<CChar>, UnsafeMutableRawPointer?, Int) -> Int,
        set: (UnsafePointer<CChar>, UnsafeRawPointer?, Int) -> Int32,
        context: EntryContext, scratch: Scratch
    ) throws(EntryError) -> ACLKinds {
        let names = scratch.attributeNames.bindMemory(to: CChar.self)
        var length = list(names.baseAddress, firstTry)
        if length < 0 && errno == ERANGE { length = list(names.baseAddress, names.count) }
        if length < 0 {
            // A source file system without extended attributes has none to copy.
            if errno == ENOTSUP || errno == EOPNOTSUPP { return [] }
            throw .last("listxattr", context.source)
        }
        var acls: ACLKinds = []
        var start = 0
        while start < length {
            let name = names.baseAddress! + start
            let acl = ACLKinds(attributeName: name)
            let wanted =
                switch kinds {
                case .all: true
                case .acls: !acl.isEmpty
                case .allButACLs: acl.isEmpty
                }
            if wanted { try copyOne(name, get: get, set: set, context: context, value: scratch.attributeValue) }
            acls.formUnion(acl)
            start += strlen(name) + 1
        }
        return acls
    }

    private static func copyOne(
        _ name: UnsafePointer<CChar>, get: (UnsafePointer<CChar>, UnsafeMutableRawPointer?, Int) -> Int,
        set: (UnsafePointer<CChar>, UnsafeRawPointer?, Int) -> Int32, context: EntryContext,
        value: UnsafeMutableRawBufferPointer
    ) throws(EntryError) {
        var length = get(name, value.baseAddress, firstTry)
        if length < 0 && errno == ERANGE { length = get(name, value.baseAddress, value.count) }
        if length < 0 {
            // Gone since it was listed, or not ours to read (security.* as a user).
            if errno == ENODATA || errno == EPERM || errno == EACCES { return }
            throw .last("getxattr", context.source)
        }
        if set(name, value.baseAddress, length) == 0 { return }
        let code = errno
        let isUserAttribute = strncmp(name, "user.", 5) == 0
        // As cp: a destination without extended attributes, or security.*,
        // trusted.* and ACLs that only a privileged copier may set, are
        // left without a word. A user attribute that does not copy is an error.
        if code == ENOTSUP || code == EOPNOTSUPP || (!isUserAttribute && (code == EPERM || code == EACCES)) { return }
        throw EntryError(
            FileSystemError(code: code, operation: "setxattr", path: context.destination),
            detail: "cannot copy extended attribute \(String(cString: name)): \(ErrnoName.describe(code))")
    }
}
