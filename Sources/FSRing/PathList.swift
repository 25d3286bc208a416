import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Many paths as raw bytes in one buffer, each followed by a NUL: what a
/// walk of a large tree hands to the batch reader and to the output. A
/// `FilePath` costs an allocation and a separator-normalizing pass over its
/// bytes (about 1,500 instructions for a path of the Linux tree), more than
/// opening and hashing a small file takes in user time; the list makes one
/// only when asked for an element.
public struct PathList: Sendable {
    /// Every path's bytes, each followed by a NUL.
    private var bytes: [UInt8] = []
    /// Where each path starts in `bytes`; the next one's start (or the end
    /// of `bytes`) follows its NUL.
    private var starts: [Int] = []

    public init() {}

    public init(_ paths: [FilePath]) {
        starts.reserveCapacity(paths.count)
        for path in paths { append(path) }
    }

    public var count: Int { starts.count }
    public var isEmpty: Bool { starts.isEmpty }

    /// Appends a path given as bytes (no NUL inside).
    public mutating func append(bytes path: UnsafeRawBufferPointer) {
        starts.append(bytes.count)
        bytes.append(contentsOf: path)
        bytes.append(0)
    }

    public mutating func append(_ path: FilePath) {
        let length = path.length
        path.withPlatformString { name in
            append(bytes: UnsafeRawBufferPointer(start: name, count: length))
        }
    }

    public mutating func append(contentsOf other: PathList) {
        let offset = bytes.count
        starts.append(contentsOf: other.starts.lazy.map { $0 + offset })
        bytes.append(contentsOf: other.bytes)
    }

    /// Path `index` as a `FilePath` (made on each call).
    public subscript(index: Int) -> FilePath {
        bytes.withUnsafeBufferPointer {
            FilePath(
                platformString: UnsafeRawPointer($0.baseAddress! + starts[index]).assumingMemoryBound(to: CChar.self))
        }
    }

    /// Runs `body` with path `index`'s bytes (without the NUL).
    public func withBytes<Result>(of index: Int, _ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[starts[index]..<end(of: index)])) }
    }

    /// Runs `body` with path `index` as a C string, for a call made before
    /// `body` returns (io_uring, which reads it later, needs a `CPathList`).
    func withCString<Result>(of index: Int, _ body: (UnsafePointer<CChar>) throws -> Result) rethrows -> Result {
        try bytes.withUnsafeBytes { try body(($0.baseAddress! + starts[index]).assumingMemoryBound(to: CChar.self)) }
    }

    /// Runs `body` with the NUL-terminated bytes of paths `range`, one
    /// after another, and where each starts relative to the first: a batch's
    /// paths copied in one step.
    func withContiguousPaths<Result>(
        _ range: Range<Int>, _ body: (UnsafeRawBufferPointer, _ offsets: [Int]) throws -> Result
    ) rethrows -> Result {
        guard !range.isEmpty else { return try body(UnsafeRawBufferPointer(start: nil, count: 0), []) }
        let first = starts[range.lowerBound]
        let last = range.upperBound < starts.count ? starts[range.upperBound] : bytes.count
        return try bytes.withUnsafeBytes {
            try body(UnsafeRawBufferPointer(rebasing: $0[first..<last]), starts[range].map { $0 - first })
        }
    }

    /// Where path `index` ends, before its NUL.
    private func end(of index: Int) -> Int {
        (index + 1 < starts.count ? starts[index + 1] : bytes.count) - 1
    }

    /// Indexes of the paths in the order of their raw bytes (as
    /// `LC_ALL=C sort` orders them): one memcmp per compare, no reference
    /// counting (with an array per path, retains and releases cost more than
    /// the compares).
    public func byteOrder() -> [Int] {
        bytes.withUnsafeBufferPointer { bytes in
            starts.withUnsafeBufferPointer { starts in
                let total = bytes.count
                return (0..<starts.count).sorted { left, right in
                    let leftCount = (left + 1 < starts.count ? starts[left + 1] : total) - 1 - starts[left]
                    let rightCount = (right + 1 < starts.count ? starts[right + 1] : total) - 1 - starts[right]
                    let common = Swift.min(leftCount, rightCount)
                    guard common > 0, let base = bytes.baseAddress else { return leftCount < rightCount }
                    let order = memcmp(base + starts[left], base + starts[right], common)
                    return order != 0 ? order < 0 : leftCount < rightCount
                }
            }
        }
    }
}
