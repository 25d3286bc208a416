internal import CURing

#if canImport(Glibc)
    import Glibc
#endif

/// The POSIX ACLs an entry has, as extended attributes.
///
/// An entry created in a directory with a default ACL is given ACLs of its
/// own at birth (an access ACL, and for a directory the default one too),
/// and its mode is then masked by the ACL instead of the umask. The source
/// may have none: as cp -a does, a copy that keeps modes drops the ACLs the
/// source does not have, else the copy would grant access its source does
/// not (a 0640 file readable by a user the directory's default names).
struct ACLKinds: OptionSet, Sendable {
    let rawValue: UInt8

    init(rawValue: UInt8) { self.rawValue = rawValue }

    static let access = ACLKinds(rawValue: 1)
    static let `default` = ACLKinds(rawValue: 2)

    static let accessName = "system.posix_acl_access"
    static let defaultName = "system.posix_acl_default"

    /// What an entry made in a directory with `parent`'s ACLs is born with.
    static func inherited(from parent: ACLKinds, isDirectory: Bool) -> ACLKinds {
        guard parent.contains(.default) else { return [] }
        return isDirectory ? [.access, .default] : .access
    }

    /// The ACLs an open directory has (an error reads as none).
    init(ofDirectory descriptor: Int32) {
        var kinds: ACLKinds = []
        if fgetxattr(descriptor, Self.accessName, nil, 0) >= 0 { kinds.insert(.access) }
        if fgetxattr(descriptor, Self.defaultName, nil, 0) >= 0 { kinds.insert(.default) }
        self = kinds
    }

    /// The kind an extended attribute's name stands for, if any.
    init(attributeName name: UnsafePointer<CChar>) {
        if strcmp(name, Self.accessName) == 0 {
            self = .access
        } else if strcmp(name, Self.defaultName) == 0 {
            self = .default
        } else {
            self = []
        }
    }

    /// Removes from a copy that has the ACLs `self` those `source` lacks,
    /// through `remove` (fremovexattr or lremovexattr).
    func drop(keeping source: ACLKinds, remove: (UnsafePointer<CChar>) -> Int32, context: EntryContext)
        throws(EntryError)
    {
        for (kind, name) in [(ACLKinds.access, Self.accessName), (.default, Self.defaultName)]
        where contains(kind) && !source.contains(kind) {
            if remove(name) == 0 { continue }
            // Not there after all, or a file system without ACLs.
            if errno == ENODATA || errno == ENOTSUP || errno == EOPNOTSUPP { continue }
            throw .last("removexattr", context.destination)
        }
    }
}
