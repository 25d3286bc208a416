internal import CURing

/// Which file an operation works on: an ordinary descriptor, or the direct
/// (registered) descriptor that the ring lends to one linked chain.
public enum RingFile: Sendable, Equatable {
    /// An ordinary file descriptor (or `AT_FDCWD` for path operations).
    case descriptor(Int32)
    /// The direct descriptor slot the ring allocates for the chain this entry
    /// belongs to. A chain that opens into it must also close it.
    case chainSlot
}

/// One io_uring operation, described completely before it reaches a ring.
///
/// Built on any thread with liburing's own `io_uring_prep_*` helpers into a
/// private SQE image; the ring copies the image into its submission queue.
/// Addresses (paths, buffers) are stored as integers: the caller keeps that
/// memory alive until the operation's result has been returned, which every
/// `Ring.submit` call guarantees by not returning before the kernel's
/// completion arrives, even when the task is cancelled.
public struct SubmissionEntry: @unchecked Sendable {
    // @unchecked: io_uring_sqe holds only integers (addresses included), so
    // copying it between threads is safe; the pointed-to memory is governed by
    // the lifetime rule above.
    var image = io_uring_sqe()
    var slotUse = SlotUse.none

    enum SlotUse {
        case none
        /// `fd` is the chain's slot, with IOSQE_FIXED_FILE.
        case fixedFile
        /// The operation installs its result into the chain's slot (open direct).
        case installTarget
        /// The operation closes the chain's slot.
        case closeTarget
    }

    private init(_ prepare: (UnsafeMutablePointer<io_uring_sqe>) -> Void) {
        withUnsafeMutablePointer(to: &image) { prepare($0) }
    }

    private static func make(
        _ file: RingFile, _ prepare: (UnsafeMutablePointer<io_uring_sqe>, Int32) -> Void
    ) -> SubmissionEntry {
        switch file {
        case .descriptor(let fd):
            return SubmissionEntry { prepare($0, fd) }
        case .chainSlot:
            var entry = SubmissionEntry { prepare($0, 0) }
            entry.slotUse = .fixedFile
            entry.image.flags |= UInt8(FSR_IOSQE_FIXED_FILE)
            return entry
        }
    }

    // MARK: Chain flags

    /// The next entry starts only if this one succeeds (a short read counts as failure).
    public func linked() -> SubmissionEntry { adding(FSR_IOSQE_IO_LINK) }
    /// The next entry starts whatever the result of this one (used for cleanup steps).
    public func hardLinked() -> SubmissionEntry { adding(FSR_IOSQE_IO_HARDLINK) }
    /// No completion is posted when this entry succeeds.
    public func skippingSuccess() -> SubmissionEntry { adding(FSR_IOSQE_CQE_SKIP_SUCCESS) }

    private func adding(_ flag: Int32) -> SubmissionEntry {
        var copy = self
        copy.image.flags |= UInt8(flag)
        return copy
    }

    // MARK: Operations

    /// Does nothing; completes with 0.
    public static func nop() -> SubmissionEntry {
        SubmissionEntry { io_uring_prep_nop($0) }
    }

    /// Reads up to `length` bytes at `offset` (`UInt64.max`: the file position).
    public static func read(
        _ file: RingFile, into buffer: UnsafeMutableRawPointer, length: Int, offset: UInt64
    ) -> SubmissionEntry {
        make(file) { io_uring_prep_read($0, $1, buffer, UInt32(clamping: length), offset) }
    }

    /// Writes `length` bytes at `offset` (`UInt64.max`: the file position).
    public static func write(
        _ file: RingFile, from buffer: UnsafeRawPointer, length: Int, offset: UInt64
    ) -> SubmissionEntry {
        make(file) { io_uring_prep_write($0, $1, buffer, UInt32(clamping: length), offset) }
    }

    /// Reads into registered buffer `index` of the ring the entry is submitted to.
    public static func readFixed(
        _ file: RingFile, into buffer: UnsafeMutableRawPointer, length: Int, offset: UInt64,
        bufferIndex: Int
    ) -> SubmissionEntry {
        make(file) {
            io_uring_prep_read_fixed($0, $1, buffer, UInt32(clamping: length), offset, Int32(bufferIndex))
        }
    }

    /// Writes from registered buffer `index` of the ring the entry is submitted to.
    public static func writeFixed(
        _ file: RingFile, from buffer: UnsafeRawPointer, length: Int, offset: UInt64,
        bufferIndex: Int
    ) -> SubmissionEntry {
        make(file) {
            io_uring_prep_write_fixed($0, $1, buffer, UInt32(clamping: length), offset, Int32(bufferIndex))
        }
    }

    /// openat(2); completes with the new descriptor.
    public static func open(
        at directory: Int32, path: UnsafePointer<CChar>, flags: Int32, mode: UInt32
    ) -> SubmissionEntry {
        SubmissionEntry { io_uring_prep_openat($0, directory, path, flags, mode) }
    }

    /// openat(2) into the chain's direct descriptor slot; completes with 0.
    /// O_CLOEXEC is dropped: the kernel refuses it for direct descriptors,
    /// which no exec can inherit anyway.
    public static func openIntoChainSlot(
        at directory: Int32, path: UnsafePointer<CChar>, flags: Int32, mode: UInt32
    ) -> SubmissionEntry {
        let flags = flags & ~FSR_O_CLOEXEC
        var entry = SubmissionEntry { io_uring_prep_openat_direct($0, directory, path, flags, mode, 0) }
        entry.slotUse = .installTarget
        return entry
    }

    /// close(2) of a descriptor, or of the chain's direct slot.
    public static func close(_ file: RingFile) -> SubmissionEntry {
        switch file {
        case .descriptor(let fd):
            return SubmissionEntry { io_uring_prep_close($0, fd) }
        case .chainSlot:
            var entry = SubmissionEntry { io_uring_prep_close_direct($0, 0) }
            entry.slotUse = .closeTarget
            return entry
        }
    }

    /// statx(2) into a caller-owned `struct statx`.
    public static func statx(
        at directory: Int32, path: UnsafePointer<CChar>, flags: Int32, mask: UInt32,
        into result: UnsafeMutableRawPointer
    ) -> SubmissionEntry {
        SubmissionEntry {
            io_uring_prep_statx($0, directory, path, flags, mask, result.assumingMemoryBound(to: CURing.statx.self))
        }
    }

    /// mkdirat(2).
    public static func makeDirectory(
        at directory: Int32, path: UnsafePointer<CChar>, mode: UInt32
    ) -> SubmissionEntry {
        SubmissionEntry { io_uring_prep_mkdirat($0, directory, path, mode) }
    }

    /// symlinkat(2): creates `path` pointing at `target`.
    public static func symbolicLink(
        target: UnsafePointer<CChar>, at directory: Int32, path: UnsafePointer<CChar>
    ) -> SubmissionEntry {
        SubmissionEntry { io_uring_prep_symlinkat($0, target, directory, path) }
    }

    /// linkat(2).
    public static func link(
        from oldDirectory: Int32, _ oldPath: UnsafePointer<CChar>,
        to newDirectory: Int32, _ newPath: UnsafePointer<CChar>, flags: Int32
    ) -> SubmissionEntry {
        SubmissionEntry { io_uring_prep_linkat($0, oldDirectory, oldPath, newDirectory, newPath, flags) }
    }

    /// renameat2(2).
    public static func rename(
        from oldDirectory: Int32, _ oldPath: UnsafePointer<CChar>,
        to newDirectory: Int32, _ newPath: UnsafePointer<CChar>, flags: UInt32
    ) -> SubmissionEntry {
        SubmissionEntry { io_uring_prep_renameat($0, oldDirectory, oldPath, newDirectory, newPath, flags) }
    }

    /// unlinkat(2); `AT_REMOVEDIR` in flags removes a directory.
    public static func unlink(
        at directory: Int32, path: UnsafePointer<CChar>, flags: Int32
    ) -> SubmissionEntry {
        SubmissionEntry { io_uring_prep_unlinkat($0, directory, path, flags) }
    }

    /// fsync(2), or fdatasync(2) when `dataOnly`.
    public static func fsync(_ file: RingFile, dataOnly: Bool) -> SubmissionEntry {
        make(file) { io_uring_prep_fsync($0, $1, dataOnly ? IORING_FSYNC_DATASYNC : 0) }
    }

    /// fallocate(2).
    public static func fallocate(
        _ file: RingFile, mode: Int32, offset: UInt64, length: UInt64
    ) -> SubmissionEntry {
        make(file) { io_uring_prep_fallocate($0, $1, mode, off_t(offset), off_t(length)) }
    }

    /// posix_fadvise(2).
    public static func fadvise(
        _ file: RingFile, offset: UInt64, length: Int, advice: Int32
    ) -> SubmissionEntry {
        make(file) { io_uring_prep_fadvise($0, $1, offset, off_t(length), advice) }
    }

    /// Image for the ring's own use (eventfd wake reads and cancellations).
    static func cancel(userData: UInt64) -> SubmissionEntry {
        SubmissionEntry { io_uring_prep_cancel64($0, userData, 0) }
    }

    /// Writes the image into a real SQE, binding `slot` where the entry uses
    /// the chain's direct descriptor.
    func write(into sqe: UnsafeMutablePointer<io_uring_sqe>, userData: UInt64, slot: Int32) {
        sqe.pointee = image
        switch slotUse {
        case .none: break
        case .fixedFile: sqe.pointee.fd = slot
        case .installTarget, .closeTarget: sqe.pointee.file_index = UInt32(slot + 1)
        }
        sqe.pointee.user_data = userData
    }
}
