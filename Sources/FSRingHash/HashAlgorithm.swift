/// The digests `fsring hash` computes.
public enum HashAlgorithm: String, Sendable, CaseIterable, CustomStringConvertible {
    case blake3, sha256, sha512, sha1, md5, xxh128

    /// Digest length in bytes.
    public var digestLength: Int {
        switch self {
        case .blake3, .sha256: 32
        case .sha512: 64
        case .sha1: 20
        case .md5, .xxh128: 16
        }
    }

    /// The tag of the BSD format (`SHA256 (name) = hex`), as the matching
    /// tools print it.
    public var tag: String {
        switch self {
        case .blake3: "BLAKE3"
        case .sha256: "SHA256"
        case .sha512: "SHA512"
        case .sha1: "SHA1"
        case .md5: "MD5"
        case .xxh128: "XXH128"
        }
    }

    public var description: String { rawValue }

    /// The algorithm a BSD tag names.
    public init?(tag: String) {
        guard let match = HashAlgorithm.allCases.first(where: { $0.tag == tag }) else { return nil }
        self = match
    }

    /// The algorithms whose digests have `length` bytes (two share 32, two share 16).
    public static func candidates(forDigestLength length: Int) -> [HashAlgorithm] {
        allCases.filter { $0.digestLength == length }
    }
}
