#if canImport(Glibc)
    import Glibc
#endif

/// The process's soft limit on open descriptors, raised to its hard limit
/// (at most 65,536) before any command runs.
///
/// A copy keeps each listed directory open, source and destination, until
/// its entries are done, and several files open per copy thread: the
/// Linux tree peaked at about 60 descriptors, and a soft limit set low
/// (`ulimit -Sn 24`) failed entries with EMFILE where cp, one file at a
/// time, needs five. The hard limit is the administrator's; the soft one
/// is only a default, which programs that need more raise, as this does.
/// (fsring uses no `select`, whose sets stop at descriptor 1,023.)
enum DescriptorLimit {
    static func raise() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        let wanted = min(limit.rlim_max, 65_536)
        guard limit.rlim_cur < wanted else { return }
        limit.rlim_cur = wanted
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
