#if canImport(Glibc)
    import Glibc
#endif

/// Symbolic names for errno values, so messages can say
/// `Permission denied (EACCES)` rather than a bare number.
public enum ErrnoName {
    /// The symbolic name of `code` (`EACCES`), or `errno N` when unknown.
    public static func name(_ code: Int32) -> String {
        names[code] ?? "errno \(code)"
    }

    /// `strerror` text followed by the symbolic name: `Permission denied (EACCES)`.
    public static func describe(_ code: Int32) -> String {
        let text = strerror(code).map { String(cString: $0) } ?? "Unknown error"
        return "\(text) (\(name(code)))"
    }

    private static let names: [Int32: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", ESRCH: "ESRCH", EINTR: "EINTR", EIO: "EIO",
        ENXIO: "ENXIO", E2BIG: "E2BIG", ENOEXEC: "ENOEXEC", EBADF: "EBADF", ECHILD: "ECHILD",
        EAGAIN: "EAGAIN", ENOMEM: "ENOMEM", EACCES: "EACCES", EFAULT: "EFAULT",
        EBUSY: "EBUSY", EEXIST: "EEXIST", EXDEV: "EXDEV", ENODEV: "ENODEV",
        ENOTDIR: "ENOTDIR", EISDIR: "EISDIR", EINVAL: "EINVAL", ENFILE: "ENFILE",
        EMFILE: "EMFILE", ENOTTY: "ENOTTY", ETXTBSY: "ETXTBSY", EFBIG: "EFBIG",
        ENOSPC: "ENOSPC", ESPIPE: "ESPIPE", EROFS: "EROFS", EMLINK: "EMLINK",
        EPIPE: "EPIPE", ERANGE: "ERANGE", EDEADLK: "EDEADLK", ENAMETOOLONG: "ENAMETOOLONG",
        ENOSYS: "ENOSYS", ENOTEMPTY: "ENOTEMPTY", ELOOP: "ELOOP", ENODATA: "ENODATA",
        EOVERFLOW: "EOVERFLOW", EOPNOTSUPP: "EOPNOTSUPP", ECANCELED: "ECANCELED",
        ETIMEDOUT: "ETIMEDOUT", ESTALE: "ESTALE", EDQUOT: "EDQUOT",
        EILSEQ: "EILSEQ", EALREADY: "EALREADY",
    ]
}
