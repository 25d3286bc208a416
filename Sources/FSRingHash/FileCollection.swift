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

extension Array where Element == FilePath {
    /// Indexes of the paths in the order of their raw bytes, the order
    /// `fsring hash` prints in (each path's bytes taken once, compared with memcmp).
    public func byteOrder() -> [Int] {
        let keys = map(\.rawBytes)
        return indices.sorted { left, right in
            keys[left].withUnsafeBufferPointer { a in
                keys[right].withUnsafeBufferPointer { b in
                    guard let first = a.baseAddress, let second = b.baseAddress else { return a.count < b.count }
                    let common = memcmp(first, second, Swift.min(a.count, b.count))
                    return common != 0 ? common < 0 : a.count < b.count
                }
            }
        }
    }
}
