import FSRingHash

/// How `fsring hash` writes one file's line, fixed once per run, so that
/// the printing threads share a small value instead of the whole command.
struct DigestLineFormat: Sendable {
    var algorithm: HashAlgorithm
    var style: ChecksumLine.Style
    var json: Bool
    var lineEnd: UInt8

    /// One file's line (a checksum line, or with --json an object), for a
    /// file named by `name`'s bytes.
    func line(name: [UInt8], _ file: FileDigest) -> [UInt8] {
        var line: [UInt8] = []
        name.withUnsafeBytes { name in
            file.digest.withUnsafeBytes { append(name: name, digest: $0, size: file.size, to: &line) }
        }
        return line
    }

    /// Appends the line of a file named by `name`'s bytes.
    func append(name: UnsafeRawBufferPointer, digest: UnsafeRawBufferPointer, size: UInt64, to output: inout [UInt8]) {
        if json {
            // {"path":…,"algorithm":…,"digest":…,"size":…}, written in place:
            // an object built from arrays per member cost as much as hashing
            // the Linux tree's small files.
            output += #"{"path":"#.utf8
            JSON.appendPath(name, to: &output)
            output += #","algorithm":""#.utf8
            output += algorithm.rawValue.utf8
            output += #"","digest":""#.utf8
            appendHexASCII(digest, to: &output)
            output += #"","size":"#.utf8
            output += String(size).utf8
            output += "}\n".utf8
            return
        }
        // NUL-ended lines (-z) carry names as they are, as coreutils writes them.
        ChecksumLine.append(
            style, algorithm: algorithm, digest: digest, name: name, escapingNames: lineEnd != 0, to: &output)
        output.append(lineEnd)
    }
}
