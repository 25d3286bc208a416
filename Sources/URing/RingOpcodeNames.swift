/// Names of io_uring opcodes, by number, for reports such as `fsring doctor`.
/// Numbers past liburing 2.3's header come from the kernel's uapi header.
public enum RingOpcodeNames {
    private static let names = [
        "NOP", "READV", "WRITEV", "FSYNC", "READ_FIXED", "WRITE_FIXED", "POLL_ADD", "POLL_REMOVE",
        "SYNC_FILE_RANGE", "SENDMSG", "RECVMSG", "TIMEOUT", "TIMEOUT_REMOVE", "ACCEPT", "ASYNC_CANCEL",
        "LINK_TIMEOUT", "CONNECT", "FALLOCATE", "OPENAT", "CLOSE", "FILES_UPDATE", "STATX", "READ", "WRITE",
        "FADVISE", "MADVISE", "SEND", "RECV", "OPENAT2", "EPOLL_CTL", "SPLICE", "PROVIDE_BUFFERS",
        "REMOVE_BUFFERS", "TEE", "SHUTDOWN", "RENAMEAT", "UNLINKAT", "MKDIRAT", "SYMLINKAT", "LINKAT",
        "MSG_RING", "FSETXATTR", "SETXATTR", "FGETXATTR", "GETXATTR", "SOCKET", "URING_CMD", "SEND_ZC",
        "SENDMSG_ZC", "READ_MULTISHOT", "WAITID", "FUTEX_WAIT", "FUTEX_WAKE", "FUTEX_WAITV",
        "FIXED_FD_INSTALL", "FTRUNCATE", "BIND", "LISTEN", "RECV_ZC", "EPOLL_WAIT", "READV_FIXED",
        "WRITEV_FIXED", "PIPE",
    ]

    /// `READ`, `OPENAT`, ... or `opcode N` for one this table does not know.
    public static func name(_ opcode: UInt8) -> String {
        Int(opcode) < names.count ? names[Int(opcode)] : "opcode \(opcode)"
    }
}

/// Names of IORING_FEAT_* bits.
public enum RingFeatureNames {
    private static let names = [
        "SINGLE_MMAP", "NODROP", "SUBMIT_STABLE", "RW_CUR_POS", "CUR_PERSONALITY", "FAST_POLL", "POLL_32BITS",
        "SQPOLL_NONFIXED", "EXT_ARG", "NATIVE_WORKERS", "RSRC_TAGS", "CQE_SKIP", "LINKED_FILE", "REG_REG_RING",
        "RECVSEND_BUNDLE", "MIN_TIMEOUT", "RW_ATTR", "NO_IOWAIT",
    ]

    /// The names of the bits set in `features`.
    public static func names(_ features: UInt32) -> [String] {
        (0..<32).compactMap { bit in
            guard features & (1 << UInt32(bit)) != 0 else { return nil }
            return bit < names.count ? names[bit] : "bit \(bit)"
        }
    }
}
