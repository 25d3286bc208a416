import FSRing
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// The files to hash for a list of paths: files as given, directories
/// walked recursively (hidden files included, no ignore rules).
public struct FileCollection: Sendable {
    /// Regular files, in the order found (callers sort).
    public var files: [FilePath] = []
    /// Symbolic links not followed (reported under `-v`).
    public var skippedLinks: [FilePath] = []
    /// Entries that are neither files, directories nor links (FIFOs, sockets, devices).
    public var skippedSpecial: [(FilePath, FSRing.FileType)] = []
    /// Paths that could not be read or walked.
    public var errors: [FileSystemError] = []

    /// Expands `paths`; with `followLinks`, symbolic links are followed (loops are errors).
    public static func collect(_ paths: [FilePath], followLinks: Bool, in fileSystem: FileSystem) async
        -> FileCollection
    {
        var collection = FileCollection()
        var options = TreeWalkOptions()
        options.followSymbolicLinks = followLinks
        // A link named on the command line is followed, as sha256sum and
        // b3sum do; links found inside directories only with `followLinks`.
        options.followRootSymbolicLink = true
        for path in paths {
            for await entry in fileSystem.walk(at: path, options: options) {
                if let error = entry.error {
                    collection.errors.append(error)
                    continue
                }
                switch entry.type {
                case .regular: collection.files.append(entry.path)
                case .directory: break
                case .symbolicLink: collection.skippedLinks.append(entry.path)
                default: collection.skippedSpecial.append((entry.path, entry.type))
                }
            }
        }
        return collection
    }
}

/// Many paths' raw bytes laid out in one buffer: sorting them compares
/// with one memcmp and no reference counting (with an array per path,
/// retains and releases cost more than the compares), and printing them
/// reads one buffer instead of an object per path.
public struct PathBytes: Sendable {
    private var bytes: [UInt8] = []
    /// Where each path starts in `bytes`, and one more for the end.
    private var starts: [Int] = []

    public init(_ paths: [FilePath]) {
        starts.reserveCapacity(paths.count + 1)
        for path in paths {
            starts.append(bytes.count)
            path.appendRawBytes(to: &bytes)
        }
        starts.append(bytes.count)
    }

    public var count: Int { starts.count - 1 }

    /// Runs `body` with path `index`'s bytes.
    public func withBytes<Result>(of index: Int, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[starts[index]..<starts[index + 1]])) }
    }

    /// Indexes of the paths in the order of their raw bytes, the order
    /// `fsring hash` prints in.
    public func byteOrder() -> [Int] {
        bytes.withUnsafeBufferPointer { bytes in
            starts.withUnsafeBufferPointer { starts in
                (0..<count).sorted { left, right in
                    let leftCount = starts[left + 1] - starts[left]
                    let rightCount = starts[right + 1] - starts[right]
                    let common = Swift.min(leftCount, rightCount)
                    guard common > 0, let base = bytes.baseAddress else { return leftCount < rightCount }
                    let order = memcmp(base + starts[left], base + starts[right], common)
                    return order != 0 ? order < 0 : leftCount < rightCount
                }
            }
        }
    }
}
