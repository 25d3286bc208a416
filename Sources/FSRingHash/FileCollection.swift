import FSRing
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// The files to hash for a list of paths: files as given, directories
/// walked recursively (hidden files included, no ignore rules).
public struct FileCollection: Sendable {
    /// Regular files, in the order found (callers sort), as bytes: a tree's
    /// files never become `FilePath`s unless one fails.
    public var files = PathList()
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
            let (files, others) = await fileSystem.collectFiles(at: path, options: options)
            collection.files.append(contentsOf: files)
            for entry in others {
                if let error = entry.error {
                    collection.errors.append(error)
                    continue
                }
                switch entry.type {
                // A followed link, or an entry whose type only statx could tell.
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
