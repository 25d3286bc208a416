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
    /// Entries inside directories that are neither files, directories nor
    /// links (FIFOs, sockets, devices): skipped, since reading a FIFO met in
    /// a tree could wait forever.
    public var skippedSpecial: [(FilePath, FSRing.FileType)] = []
    /// FIFOs and devices named as paths themselves (a process substitution's
    /// `/dev/fd/63`, `/dev/stdin`, a disk): read to their end, as sha256sum
    /// and b3sum read them, in the order given. Sockets too, which fail to open.
    public var streams: [FilePath] = []
    /// Paths that could not be read or walked.
    public var errors: [FileSystemError] = []

    /// Paths expanded at once.
    static let pathsAtOnce = 64

    /// Expands `paths`; with `followLinks`, symbolic links are followed (loops are errors).
    public static func collect(_ paths: [FilePath], followLinks: Bool, in fileSystem: FileSystem) async
        -> FileCollection
    {
        await collect(paths, spellings: nil, followLinks: followLinks, in: fileSystem)
    }

    /// Expands paths as the user wrote them (bytes, as on a command line):
    /// one naming a file is listed as written, as sha256sum prints `d//f`
    /// (a `FilePath` is `d/f`).
    public static func collect(written: [[UInt8]], followLinks: Bool, in fileSystem: FileSystem) async
        -> FileCollection
    {
        await collect(
            written.map(FilePath.init(rawBytes:)), spellings: written, followLinks: followLinks, in: fileSystem)
    }

    /// `spellings`: nil, or one for each path.
    private static func collect(
        _ paths: [FilePath], spellings: [[UInt8]]?, followLinks: Bool, in fileSystem: FileSystem
    ) async -> FileCollection {
        var collection = FileCollection()
        var options = TreeWalkOptions()
        options.followSymbolicLinks = followLinks
        // A link named on the command line is followed, as sha256sum and
        // b3sum do; links found inside directories only with `followLinks`.
        options.followRootSymbolicLink = true
        // Many paths (`fsring hash *.jpg`): walked one after another, each
        // waited for its own statx (1,000 files: 43 ms against b3sum's 12).
        // Regular files need no walk: their types are looked up together,
        // and the rest (directories, links that lead nowhere, errors, FIFOs)
        // is walked side by side, which reports them as before. Results are
        // taken in the order given.
        let types = await fileSystem.types(of: paths, followLinks: true)
        let walked = paths.indices.filter { types[$0] != .regular }
        let walkOptions = options
        let found = await withTaskGroup(of: (Int, PathList, [WalkEntry]).self) { group in
            var results = [(PathList, [WalkEntry])?](repeating: nil, count: paths.count)
            var started = 0
            var finished = 0
            while started < walked.count || !group.isEmpty {
                while started < walked.count && started - finished < Self.pathsAtOnce {
                    let index = walked[started]
                    group.addTask {
                        let (files, others) = await fileSystem.collectFiles(at: paths[index], options: walkOptions)
                        return (index, files, others)
                    }
                    started += 1
                }
                guard let (index, files, others) = await group.next() else { break }
                results[index] = (files, others)
                finished += 1
            }
            return results
        }
        for (index, path) in paths.enumerated() {
            guard let (files, others) = found[index] else {
                // A regular file.
                if let spelling = spellings?[index] {
                    spelling.withUnsafeBytes { collection.files.append(bytes: $0) }
                } else {
                    collection.files.append(path)
                }
                continue
            }
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
                default:
                    if entry.path == path {
                        collection.streams.append(path)
                    } else {
                        collection.skippedSpecial.append((entry.path, entry.type))
                    }
                }
            }
        }
        return collection
    }
}
