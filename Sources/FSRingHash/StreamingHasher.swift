internal import CCrypto
internal import CXXHash

/// One running digest of any `HashAlgorithm`: feed it bytes in order, then
/// take the digest. Used by one task at a time.
public final class StreamingHasher {
    public let algorithm: HashAlgorithm
    // Exactly one of these is in use, by algorithm. The C states are owned
    // by this object and freed in deinit.
    private var blake3 = BLAKE3()
    private let openSSLContext: OpaquePointer?  // EVP_MD_CTX
    private let xxh3State: OpaquePointer?  // XXH3_state_t

    public init(_ algorithm: HashAlgorithm) {
        self.algorithm = algorithm
        switch algorithm {
        case .blake3:
            openSSLContext = nil
            xxh3State = nil
        case .xxh128:
            openSSLContext = nil
            xxh3State = XXH3_createState()
            XXH3_128bits_reset(xxh3State)
        case .sha256, .sha512, .sha1, .md5:
            openSSLContext = EVP_MD_CTX_new()
            xxh3State = nil
            EVP_DigestInit_ex(openSSLContext, Self.evpDigest(algorithm), nil)
        }
    }

    deinit {
        if let openSSLContext { EVP_MD_CTX_free(openSSLContext) }
        if let xxh3State { XXH3_freeState(xxh3State) }
    }

    private static func evpDigest(_ algorithm: HashAlgorithm) -> OpaquePointer? {
        switch algorithm {
        case .sha256: FetchedDigests.shared.sha256.pointer
        case .sha512: FetchedDigests.shared.sha512.pointer
        case .sha1: FetchedDigests.shared.sha1.pointer
        case .md5: FetchedDigests.shared.md5.pointer
        case .blake3, .xxh128: nil
        }
    }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        if let openSSLContext {
            EVP_DigestUpdate(openSSLContext, base, bytes.count)
        } else if let xxh3State {
            XXH3_128bits_update(xxh3State, base, bytes.count)
        } else {
            blake3.update(bytes)
        }
    }

    public func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    /// Adds a BLAKE3 subtree hashed elsewhere (see `BLAKE3.append(subtree:chunks:)`).
    func appendBLAKE3Subtree(_ value: [UInt8], chunks: Int) {
        blake3.append(subtree: value, chunks: chunks)
    }

    /// The digest of everything fed so far.
    public func finalize() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: algorithm.digestLength) { bytes, count in
            finalize(into: UnsafeMutableRawPointer(bytes.baseAddress!))
            count = algorithm.digestLength
        }
    }

    /// Writes the digest of everything fed so far (`algorithm.digestLength`
    /// bytes) to `output`: a batch's digests go side by side with no array each.
    public func finalize(into output: UnsafeMutableRawPointer) {
        if let openSSLContext {
            // EVP_DigestFinal_ex writes exactly the digest's size, which is digestLength.
            EVP_DigestFinal_ex(openSSLContext, output.assumingMemoryBound(to: UInt8.self), nil)
        } else if let xxh3State {
            // xxh128sum prints the canonical (big-endian) form.
            var canonical = XXH128_canonical_t()
            XXH128_canonicalFromHash(&canonical, XXH3_128bits_digest(xxh3State))
            withUnsafeBytes(of: canonical.digest) { output.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        } else {
            blake3.finalize(into: output)
        }
    }

    /// Starts over, as if new. Cheaper than a new hasher: OpenSSL keeps the
    /// context it set up for the digest.
    public func reset() {
        if let openSSLContext {
            EVP_DigestInit_ex(openSSLContext, Self.evpDigest(algorithm), nil)
        } else if let xxh3State {
            XXH3_128bits_reset(xxh3State)
        } else {
            blake3 = BLAKE3()
        }
    }

    /// The digest of `bytes` in one call.
    public static func digest(_ algorithm: HashAlgorithm, of bytes: UnsafeRawBufferPointer) -> [UInt8] {
        let hasher = StreamingHasher(algorithm)
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The digest of each input, written one after another into `output`,
    /// with one hasher reset between them.
    public static func digests(
        _ algorithm: HashAlgorithm, of inputs: [UnsafeRawBufferPointer], into output: UnsafeMutableRawBufferPointer
    ) {
        let length = algorithm.digestLength
        precondition(output.count >= length * inputs.count, "room for every digest")
        guard !inputs.isEmpty else { return }
        let hasher = StreamingHasher(algorithm)
        for (position, bytes) in inputs.enumerated() {
            if position > 0 { hasher.reset() }
            hasher.update(bytes)
            hasher.finalize(into: output.baseAddress! + position * length)
        }
    }
}

/// OpenSSL 3 looks a digest up in its providers each time EVP_sha256() and
/// friends initialise a context, which costs more than hashing a small file;
/// fetching each digest once and reusing it avoids that.
private struct FetchedDigests: Sendable {
    /// An EVP_MD fetched once and kept for the life of the process.
    struct Digest: @unchecked Sendable {
        // @unchecked: a fetched EVP_MD is immutable and may be shared between
        // threads (OpenSSL's documented contract); it is never freed.
        let pointer: OpaquePointer?
        init(_ name: String) { pointer = EVP_MD_fetch(nil, name, nil) }
    }
    let sha256 = Digest("SHA256")
    let sha512 = Digest("SHA512")
    let sha1 = Digest("SHA1")
    let md5 = Digest("MD5")

    static let shared = FetchedDigests()
}
