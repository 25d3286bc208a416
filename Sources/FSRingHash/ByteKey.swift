/// Bytes (a name or a digest) as a dictionary or set key, hashed in one
/// call over the whole buffer: an array of bytes hashes element by element,
/// which was a sixth of auditing the Linux tree (78,579 names in four
/// tables) and of checking its list.
package struct ByteKey: Hashable, Comparable, Sendable {
    package let bytes: [UInt8]

    package init(_ bytes: [UInt8]) { self.bytes = bytes }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(bytes.count)
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    package static func < (left: ByteKey, right: ByteKey) -> Bool {
        left.bytes.lexicographicallyPrecedes(right.bytes)
    }
}
