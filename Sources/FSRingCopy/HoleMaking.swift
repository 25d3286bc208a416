internal import CURing
import FSRing

#if canImport(Glibc)
    import Glibc
#endif

extension FileContents {
    /// The holes made: blocks of this size, at offsets that are multiples of it.
    static let holeBlock = 4096

    /// `--sparse=always`: the file's bytes through reads and writes, each
    /// block of zeros left unwritten, so it stays a hole, and the size set
    /// at the end (a disk image written out in full comes back sparse, as
    /// with cp --sparse=always). The source's own holes are skipped unread.
    func copyMakingHoles(from source: Int32, to destination: Int32, size: UInt64, _ context: EntryContext)
        throws(EntryError)
    {
        // The thread's own buffer (Scratch): read into, then written from, before the next read.
        let buffer = scratch.data
        let whole = try forEachDataRegion(of: source, size: size, context) { start, end throws(EntryError) in
            var offset = start
            while offset < end {
                if run.isStopped { throw .code(ECANCELED, "copy", context.source) }
                let count = try read(
                    from: source, into: buffer, length: min(buffer.count, Int(end - offset)), at: Int64(offset),
                    context)
                if count == 0 {
                    try expectUnchanged(source, size: size, context)
                    return false
                }
                try writeAllButZeros(
                    UnsafeRawBufferPointer(rebasing: buffer[0..<count]), at: Int64(offset), fileSize: size,
                    to: destination, context)
                if countsBytes { run.counters.bytes.add(UInt64(count), ordering: .relaxed) }
                offset += UInt64(count)
            }
            return true
        }
        guard whole else { return }
        // A file that grew meanwhile is a failure, as for the other ways.
        var beyond: UInt8 = 0
        if pread(source, &beyond, 1, off_t(size)) == 1 {
            throw .code(
                EIO, "copy", context.source, detail: "changed size during the copy (\(size) bytes before, more now)")
        }
        if ftruncate(destination, off_t(size)) != 0 { throw .last("ftruncate", context.destination) }
    }

    /// Writes `bytes`, which belong at `offset`, leaving out every block
    /// (aligned in the file, or the file's last, shorter one) that is all
    /// zeros; runs of other blocks go in one write each.
    private func writeAllButZeros(
        _ bytes: UnsafeRawBufferPointer, at offset: Int64, fileSize: UInt64, to destination: Int32,
        _ context: EntryContext
    ) throws(EntryError) {
        func write(_ range: Range<Int>) throws(EntryError) {
            try writeAll(
                UnsafeRawBufferPointer(rebasing: bytes[range]), to: destination, at: offset + Int64(range.lowerBound),
                context)
        }
        var start = 0
        var pending: Range<Int>? = nil
        while start < bytes.count {
            // To the next block boundary in the file, or the end of what was read.
            let boundary = Int((offset + Int64(start)) / Int64(Self.holeBlock) + 1) * Self.holeBlock
            let stop = min(bytes.count, boundary - Int(offset))
            let block = UnsafeRawBufferPointer(rebasing: bytes[start..<stop])
            let wholeBlock = block.count == Self.holeBlock || UInt64(offset) + UInt64(stop) == fileSize
            if wholeBlock && Self.isZero(block) {
                if let pending { try write(pending) }
                pending = nil
            } else {
                pending = (pending?.lowerBound ?? start)..<stop
            }
            start = stop
        }
        if let pending { try write(pending) }
    }

    /// Whether every byte is zero: eight at a time, then the rest.
    static func isZero(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let words = bytes.count / 8
        for index in 0..<words where bytes.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self) != 0 {
            return false
        }
        return bytes[(words * 8)...].allSatisfy { $0 == 0 }
    }
}
