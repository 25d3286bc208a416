import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// A name (or a whole path) as the system calls take it: its bytes, not
/// necessarily UTF-8, and a NUL, in one array.
///
/// Every entry of a copied tree is handed to several calls by name. As a
/// `FilePath`, each name cost two allocations and a separator-normalizing
/// pass when it was listed, and eight generic calls each time it was handed
/// to a call: with raw names, the user time of a copy of 100,000 small
/// files went from 0.29-0.41 s to 0.15-0.29 s (four paired rounds).
/// A `FilePath` is made from one only for messages, listings and hard links.
/// Symbolic link targets are kept as one too: a `FilePath` drops repeated
/// and trailing slashes, which a copied link must keep.
struct RawName: Sendable {
    /// The bytes and the terminating NUL.
    private let bytes: ContiguousArray<CChar>

    /// `length` bytes at `name` (no NUL among them).
    init(_ name: UnsafePointer<CChar>, length: Int) {
        // Safe while the caller's promise holds: `name` points at `length`
        // readable bytes. The buffer has room for them and the NUL, and
        // `count` says all of it is initialized.
        bytes = ContiguousArray(unsafeUninitializedCapacity: length + 1) { buffer, count in
            buffer.baseAddress!.initialize(from: name, count: length)
            buffer[length] = 0
            count = length + 1
        }
    }

    init(_ name: UnsafePointer<CChar>) { self.init(name, length: strlen(name)) }

    /// `name`'s bytes (no NUL among them).
    init(_ name: some Collection<UInt8>) {
        var bytes = ContiguousArray<CChar>()
        bytes.reserveCapacity(name.count + 1)
        bytes.append(contentsOf: name.lazy.map { CChar(bitPattern: $0) })
        bytes.append(0)
        self.bytes = bytes
    }

    init(_ path: FilePath) {
        bytes = path.withPlatformString { ContiguousArray(UnsafeBufferPointer(start: $0, count: strlen($0) + 1)) }
    }

    var path: FilePath { withCString { FilePath(platformString: $0) } }

    /// The bytes, without the NUL.
    var rawBytes: [UInt8] { bytes.dropLast().map { UInt8(bitPattern: $0) } }

    /// Calls `body` with the name as a C string, valid until `body` returns.
    func withCString<Result, Failure: Error>(_ body: (UnsafePointer<CChar>) throws(Failure) -> Result)
        throws(Failure) -> Result
    {
        try bytes.withUnsafeBufferPointer { (buffer) throws(Failure) in try body(buffer.baseAddress!) }
    }
}
