#if canImport(Glibc)
    import Glibc
#endif

/// How many copy threads the process's descriptor limit allows.
///
/// Each copy thread keeps a source and a destination file open, and every
/// directory listed stays open (source and destination) until its entries
/// are done; threads taking jobs from several directories keep several
/// open at each level. The Linux tree peaked at about 60 descriptors with
/// four threads, and a tree of 341 directories failed entries with EMFILE
/// under a hard limit of 32 (and of 48 in one run of three). One thread,
/// going depth first, keeps two per level of depth and two files: a limit
/// of 24 is enough for that tree. (`fsring` raises its soft limit to the
/// hard one when it starts.)
enum DescriptorBudget {
    /// Below this many descriptors, a tree is copied on one thread.
    static let forSeveralThreads: rlim_t = 256

    /// `wanted` threads, or one when the limit is below `forSeveralThreads`.
    static func threads(_ wanted: Int) -> Int {
        var limit = rlimit()
        guard wanted > 1, getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return max(1, wanted) }
        return limit.rlim_cur < forSeveralThreads ? 1 : wanted
    }
}
