internal import CURing
import FSRing
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Moves a file's bytes by the fastest way the two file systems allow:
/// FICLONE (shared extents, no data moved), else copy_file_range (the kernel
/// copies page to page), else read and write through a buffer. A way
/// refused once for a pair of devices is not tried again. Holes in sparse
/// files stay holes.
struct FileContents {
    let run: CopyRun
    let scratch: Scratch
    /// False when writing a file's bytes a second time (see `EntryCopier.copyFile`).
    var countsBytes = true

    /// Pieces of copy_file_range, so progress and stopping are seen within large files.
    static let piece = 64 << 20
    /// What is asked for at a time once a file has given all the bytes its
    /// size promised.
    static let beyondTheSize = 1 << 16

    func copy(
        from source: Int32, to destination: Int32, info: FileInfo, devices: DevicePair, context: EntryContext
    ) throws(EntryError) {
        var way = run.refusal(for: devices, cachedIn: scratch) ?? .clone
        // copy_file_range may clone too (Btrfs, XFS): as cp, never means reads and writes.
        if run.options.reflink == .never { way = .readWrite }
        // Making holes, or filling them, takes seeing the bytes.
        let sparse = run.options.reflink == .always ? .auto : run.options.sparse
        if sparse != .auto { way = .readWrite }
        guard info.size > 0 else {
            // A file that reports no size may still have content (those of
            // /proc and /sys do): read it to its end, as cp does. For a file
            // that is empty, that is one call that returns nothing, and
            // there is nothing to clone.
            if way == .clone { way = .copyRange }
            _ = try copyRange(
                from: source, to: destination, offset: nil, length: 0, way: &way, devices: devices, context)
            return
        }
        if sparse == .always {
            try copyMakingHoles(from: source, to: destination, size: info.size, context)
            return
        }
        if run.options.reflink == .always && way != .clone {
            throw .code(EOPNOTSUPP, "clone", context.destination, detail: "reflink is not supported here")
        }
        if way == .clone {
            if fsr_ficlone(destination, source) == 0 {
                if countsBytes { run.counters.bytes.add(info.size, ordering: .relaxed) }
                return
            }
            let code = errno
            guard [EOPNOTSUPP, ENOTTY, EXDEV, EINVAL, ENOSYS, EPERM].contains(code) else {
                throw .code(code, "clone", context.destination)
            }
            run.recordRefusal(.copyRange, for: devices)
            if run.options.reflink == .always {
                throw .code(code, "clone", context.destination, detail: "reflink is not supported here")
            }
            way = .copyRange
        }
        // Fewer allocated blocks than the size needs: there are holes to keep.
        if sparse == .auto && info.blocks * 512 < info.size {
            try copySparse(from: source, to: destination, size: info.size, way: &way, devices: devices, context)
            return
        }
        let copied = try copyRange(
            from: source, to: destination, offset: nil, length: info.size, way: &way, devices: devices, context)
        if copied != info.size {
            throw .code(
                EIO, "copy", context.source,
                detail: "changed size during the copy (\(info.size) bytes before, \(copied) read)")
        }
    }

    /// Copies `length` bytes from `offset` (or from the file positions when
    /// nil, reading on to the end of file). Asks for one byte more than
    /// expected, so a short answer shows the end of file without another call.
    private func copyRange(
        from source: Int32, to destination: Int32, offset: Int64?, length: UInt64, way: inout DataPath,
        devices: DevicePair, _ context: EntryContext
    ) throws(EntryError) -> UInt64 {
        var total: UInt64 = 0
        let bounded = offset != nil
        while true {
            if run.isStopped { throw .code(ECANCELED, "copy", context.source) }
            let remaining = length > total ? length - total : 0
            if bounded && remaining == 0 { break }
            // Unbounded, one byte more than expected; past the expected end
            // (a file that grew, or reported no size), a whole buffer's worth.
            let unexpected = remaining == 0 ? UInt64(Self.beyondTheSize) : remaining + 1
            let wanted = Int(min(bounded ? remaining : unexpected, UInt64(Self.piece)))
            let count: Int
            if way == .copyRange {
                var sourceOffset = (offset ?? 0) + Int64(total)
                var destinationOffset = sourceOffset
                count =
                    bounded
                    ? fsr_copy_file_range(source, &sourceOffset, destination, &destinationOffset, UInt(wanted))
                    : fsr_copy_file_range(source, nil, destination, nil, UInt(wanted))
                if count < 0 {
                    let code = errno
                    if code == EINTR { continue }
                    // Refused before anything was copied: the pair needs plain reads and writes.
                    if total == 0 && [EXDEV, EINVAL, EOPNOTSUPP, ENOSYS, EBADF].contains(code) {
                        run.recordRefusal(.readWrite, for: devices)
                        way = .readWrite
                        continue
                    }
                    throw .code(code, "copy_file_range", context.destination)
                }
            } else {
                count = try readWrite(
                    from: source, to: destination, at: offset.map { $0 + Int64(total) }, wanted: wanted, context)
            }
            if count == 0 { break }
            total += UInt64(count)
            if countsBytes { run.counters.bytes.add(UInt64(count), ordering: .relaxed) }
            if !bounded && total == length && count < wanted { break }
        }
        return total
    }

    /// One buffer's worth: read, then write it all.
    private func readWrite(
        from source: Int32, to destination: Int32, at offset: Int64?, wanted: Int, _ context: EntryContext
    ) throws(EntryError) -> Int {
        let buffer = scratch.data
        let count = try read(from: source, into: buffer, length: min(wanted, buffer.count), at: offset, context)
        try writeAll(UnsafeRawBufferPointer(rebasing: buffer[0..<count]), to: destination, at: offset, context)
        return count
    }

    /// Up to `length` bytes into `buffer`, from `offset` (or the file's
    /// position when nil); 0 at the end of the file.
    func read(
        from source: Int32, into buffer: UnsafeMutableRawBufferPointer, length: Int, at offset: Int64?,
        _ context: EntryContext
    ) throws(EntryError) -> Int {
        var count: Int
        repeat {
            count =
                offset.map { pread(source, buffer.baseAddress!, length, off_t($0)) }
                ?? Glibc.read(source, buffer.baseAddress!, length)
        } while count < 0 && errno == EINTR
        guard count >= 0 else { throw .last("read", context.source) }
        return count
    }

    /// All of `bytes`, at `offset` (or the file's position when nil).
    func writeAll(_ bytes: UnsafeRawBufferPointer, to destination: Int32, at offset: Int64?, _ context: EntryContext)
        throws(EntryError)
    {
        var written = 0
        while written < bytes.count {
            let result =
                offset.map {
                    pwrite(destination, bytes.baseAddress! + written, bytes.count - written, off_t($0) + off_t(written))
                }
                ?? Glibc.write(destination, bytes.baseAddress! + written, bytes.count - written)
            if result < 0 {
                if errno == EINTR { continue }
                throw .last("write", context.destination)
            }
            written += result
        }
    }

    /// Copies only the data regions (SEEK_DATA/SEEK_HOLE), then sets the
    /// size, so holes are not written and stay unallocated.
    private func copySparse(
        from source: Int32, to destination: Int32, size: UInt64, way: inout DataPath, devices: DevicePair,
        _ context: EntryContext
    ) throws(EntryError) {
        let whole = try forEachDataRegion(of: source, size: size, context) { start, end throws(EntryError) in
            let copied = try copyRange(
                from: source, to: destination, offset: Int64(start), length: end - start, way: &way, devices: devices,
                context)
            // The file ended before the size it reports. sysfs says 4096
            // bytes for every file whatever it holds: the copy is what
            // reading gave, as with cp. A file that shrank meanwhile is a
            // failure, as in `copy`.
            if copied < end - start { try expectUnchanged(source, size: size, context) }
            return copied == end - start
        }
        guard whole else { return }
        if ftruncate(destination, off_t(size)) != 0 { throw .last("ftruncate", context.destination) }
    }

    /// Calls `body` with each region of `source` that holds data, start and
    /// end (SEEK_DATA/SEEK_HOLE), up to `size`, in order. False when `body`
    /// stopped it by answering false (the file ended early).
    func forEachDataRegion(
        of source: Int32, size: UInt64, _ context: EntryContext,
        _ body: (_ start: UInt64, _ end: UInt64) throws(EntryError) -> Bool
    ) throws(EntryError) -> Bool {
        var position: UInt64 = 0
        while position < size {
            let data = lseek(source, off_t(position), FSR_SEEK_DATA)
            if data < 0 {
                if errno == ENXIO { return true }  // No data past here.
                throw .last("lseek", context.source)
            }
            let hole = lseek(source, data, FSR_SEEK_HOLE)
            guard hole >= 0 else { throw .last("lseek", context.source) }
            let end = min(UInt64(hole), size)
            guard end > UInt64(data) else { return true }
            guard try body(UInt64(data), end) else { return false }
            position = end
        }
        return true
    }

    /// After a file gave fewer bytes than its size: fine if the size is
    /// still what it was (pseudo-files), a failure if the file shrank.
    func expectUnchanged(_ source: Int32, size: UInt64, _ context: EntryContext) throws(EntryError) {
        let now = FileInfo.blockingLookup(source, "", followLinks: false)?.size
        guard now == size else {
            throw .code(
                EIO, "copy", context.source,
                detail: "changed size during the copy (\(size) bytes before, \(now.map(String.init) ?? "?") now)")
        }
    }
}
