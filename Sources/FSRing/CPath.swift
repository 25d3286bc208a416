import SystemPackage

/// A NUL-terminated copy of a path that outlives the operation using it.
///
/// io_uring reads the path when the request executes, possibly after the
/// submitting call has suspended, so the bytes must not live on a stack that
/// might be gone. The owner frees it only after the operation's completion.
final class CPath {
    let pointer: UnsafeMutablePointer<CChar>

    init(_ path: FilePath) {
        pointer = path.withPlatformString { source in
            let length = strlen(source) + 1
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: length)
            copy.initialize(from: source, count: length)
            return copy
        }
    }

    /// The address as an integer, to carry into a closure on another thread
    /// (which finishes before this value is dropped).
    var address: UInt { UInt(bitPattern: pointer) }

    deinit { pointer.deallocate() }
}

/// NUL-terminated copies of many paths in one allocation, under the same
/// rule as `CPath`: freed only after every operation using them completes.
/// A batch of 64 opens costs one allocation instead of 128.
final class CPathList {
    private let storage: UnsafeMutablePointer<CChar>
    private let starts: [Int]

    /// Paths `range` of `list`, copied in one step.
    init(_ list: PathList, _ range: Range<Int>) {
        (storage, starts) = list.withContiguousPaths(range) { bytes, offsets in
            let storage = UnsafeMutablePointer<CChar>.allocate(capacity: max(bytes.count, 1))
            if let base = bytes.baseAddress {
                UnsafeMutableRawPointer(storage).copyMemory(from: base, byteCount: bytes.count)
            }
            return (storage, offsets)
        }
    }

    /// The path at `index` (in the order given).
    func pointer(_ index: Int) -> UnsafeMutablePointer<CChar> { storage + starts[index] }

    deinit { storage.deallocate() }
}

#if canImport(Glibc)
    import Glibc
#endif

extension UnsafePointer where Pointee == CChar {
    /// Rebuilds a pointer from an address carried across threads by `CPath.address`.
    static func at(_ address: UInt) -> UnsafePointer<CChar> {
        UnsafePointer(bitPattern: address)!
    }
}
