internal import CCrypto
internal import CXXHash

/// One running digest of any `HashAlgorithm`: feed it bytes in order, then
/// take the digest. Used by one task at a time.
public final class StreamingHasher {
    public let algorithm: HashAlgorithm
    // Exactly one of these is in use, by algorithm. The C states are owned
    // by this object and freed in deinit.
    private var blake3 = BLAKE3()
    private let openSSL: (kind: fsr_digest_kind, state: UnsafeMutablePointer<fsr_digest_state>)?
    private let xxh3State: OpaquePointer?  // XXH3_state_t

    public init(_ algorithm: HashAlgorithm) {
        self.algorithm = algorithm
        switch algorithm {
        case .blake3:
            openSSL = nil
            xxh3State = nil
        case .xxh128:
            openSSL = nil
            xxh3State = XXH3_createState()
            XXH3_128bits_reset(xxh3State)
        case .sha256, .sha512, .sha1, .md5:
            let kind: fsr_digest_kind =
                switch algorithm {
                case .sha512: FSR_DIGEST_SHA512
                case .sha1: FSR_DIGEST_SHA1
                case .md5: FSR_DIGEST_MD5
                default: FSR_DIGEST_SHA256
                }
            let state = UnsafeMutablePointer<fsr_digest_state>.allocate(capacity: 1)
            fsr_digest_start(kind, state)
            openSSL = (kind, state)
            xxh3State = nil
        }
    }

    deinit {
        openSSL?.state.deallocate()
        if let xxh3State { XXH3_freeState(xxh3State) }
    }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        if let openSSL {
            fsr_digest_update(openSSL.kind, openSSL.state, base, bytes.count)
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
        if let openSSL {
            // Writes exactly the digest's size, which is digestLength.
            fsr_digest_finish(openSSL.kind, openSSL.state, output.assumingMemoryBound(to: UInt8.self))
        } else if let xxh3State {
            // xxh128sum prints the canonical (big-endian) form.
            var canonical = XXH128_canonical_t()
            XXH128_canonicalFromHash(&canonical, XXH3_128bits_digest(xxh3State))
            withUnsafeBytes(of: canonical.digest) { output.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        } else {
            blake3.finalize(into: output)
        }
    }

    /// Starts over, as if new, in the same state's memory.
    public func reset() {
        if let openSSL {
            fsr_digest_start(openSSL.kind, openSSL.state)
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
