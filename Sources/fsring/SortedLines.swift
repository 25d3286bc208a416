import FSRing
import FSRingHash
import URing

/// The lines of a hashed tree in sorted order, formatted in parts on all
/// cores: the digests and names are read in sorted order, which is random
/// order in memory, so each line waits on cache misses. On the Linux tree,
/// from the end of hashing to the last line written, six runs each: 13.5-17.7
/// ms in two parts, against 16.5-25.3 ms on one core with the other idle.
struct SortedLines {
    /// One part's lines, and what it found.
    struct Part: Sendable {
        var text: [UInt8] = []
        var errors: [FileSystemError] = []
        var hashed = 0
        var bytes: UInt64 = 0
    }

    /// The parts in order: writing them one after another gives every line
    /// in `order`.
    static func format(
        _ order: [Int], table: DigestTable, files: PathList, format: DigestLineFormat
    ) async -> [Part] {
        // Parts of fewer lines cost more to hand over than to write.
        let parts = max(1, min(RingRuntime.onlineCores, order.count / 2048))
        if parts == 1 { return [formatPart(order[...], table: table, files: files, format: format)] }
        let size = (order.count + parts - 1) / parts
        return await withTaskGroup(of: (Int, Part).self) { group in
            for part in 0..<parts {
                let range = part * size..<min((part + 1) * size, order.count)
                group.addTask { (part, formatPart(order[range], table: table, files: files, format: format)) }
            }
            var done = [Part](repeating: Part(), count: parts)
            for await (index, part) in group { done[index] = part }
            return done
        }
    }

    private static func formatPart(
        _ order: ArraySlice<Int>, table: DigestTable, files: PathList, format: DigestLineFormat
    ) -> Part {
        var part = Part()
        // A line is the digest in hex, two spaces, the name and a newline.
        part.text.reserveCapacity(order.count * (table.digestLength * 2 + 64))
        for index in order {
            if let error = table.error(at: index) {
                part.errors.append(error)
                continue
            }
            part.hashed += 1
            let size = table.size(at: index)
            part.bytes += size
            table.withDigest(at: index) { digest in
                files.withBytes(of: index) { name in
                    format.append(name: name, digest: digest, size: size, to: &part.text)
                }
            }
        }
        return part
    }
}
