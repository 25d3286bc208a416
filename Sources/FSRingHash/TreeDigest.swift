import FSRing
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// One digest for a whole directory tree (`fsring hash --tree`), a Merkle
/// tree over the directory's entries. With H the chosen algorithm:
///
///     tree(D) = H("fsring-tree-v1" 0x00 || record(e1) || record(e2) || ...)
///
/// over D's entries sorted by the raw bytes of their names, where
///
///     record(e) = type || u64le(len(name)) || name || u64le(len(d)) || d
///
/// and type and d are: `f` and H(contents) for a regular file; `x` and
/// H(contents) for a regular file whose owner-execute bit is set; `l` and
/// H(target) for a symbolic link (its target's bytes, not followed unless
/// `-L`); `d` and tree(entry) for a directory. FIFOs, sockets and device
/// nodes are left out. Other metadata (owners, other mode bits, times) is
/// excluded so that the same content gives the same digest after a copy,
/// an unpack or a checkout on another machine.
public struct TreeDigest: Sendable {
    public let engine: HashEngine
    public let followLinks: Bool

    public init(engine: HashEngine, followLinks: Bool) {
        self.engine = engine
        self.followLinks = followLinks
    }

    public struct Outcome: Sendable {
        /// The root's digest; nil when something in the tree could not be read.
        public var digest: [UInt8]?
        public var errors: [FileSystemError]
        /// Entries left out (FIFOs, sockets, devices).
        public var skipped: [FilePath]
    }

    private struct Node {
        var name: [UInt8]
        var type: UInt8
        var digest: [UInt8]
    }

    public func digest(ofDirectory root: FilePath) async -> Outcome {
        let fs = engine.fileSystem
        var options = TreeWalkOptions()
        options.followSymbolicLinks = followLinks
        // The directory named is followed if it is a link, as `fsring hash`
        // follows links named on the command line.
        options.followRootSymbolicLink = true
        // Regular files come back as bytes, everything else as entries: a
        // `FilePath` per file, and tables keyed by arrays of bytes (hashed
        // byte by byte), made the tree digest of the Linux tree take twice
        // as long as hashing its files.
        var (files, others) = await fs.collectFiles(at: root, options: options)
        var errors: [FileSystemError] = []
        var skipped: [FilePath] = []
        var links: [FilePath] = []
        var directories: [(path: [UInt8], depth: Int)] = []
        for entry in others {
            if let error = entry.error {
                errors.append(error)
                continue
            }
            switch entry.type {
            case .symbolicLink: links.append(entry.path)
            case .directory: directories.append((entry.path.rawBytes, entry.depth))
            case .regular: files.append(entry.path)  // a link followed (-L) to a file
            default: skipped.append(entry.path)
            }
        }
        let rootBytes = root.rawBytes
        guard directories.contains(where: { $0.depth == 0 && $0.path == rootBytes }) else {
            if errors.isEmpty { errors.append(FileSystemError(code: ENOTDIR, operation: "tree", path: root)) }
            return Outcome(digest: nil, errors: errors, skipped: skipped)
        }

        var children: [ByteKey: [Node]] = [:]
        func add(_ path: UnsafeRawBufferPointer, type: UInt8, digest: [UInt8]) {
            // A path is its directory's, a separator, then its name (the
            // directory "/" has no separator of its own).
            let slash = path.lastIndex(of: 0x2F) ?? -1
            let parent = slash == 0 ? [0x2F] : Array(path[..<max(slash, 0)])
            children[ByteKey(parent), default: []].append(
                Node(name: Array(path[(slash + 1)...]), type: type, digest: digest))
        }

        let algorithm = engine.algorithm
        let digests = await engine.digestTable(of: files)
        let modes = await permissions(of: files)
        for index in 0..<files.count {
            switch (digests[index], modes[index]) {
            case (.success(let digest), .success(let mode)):
                files.withBytes(of: index) {
                    add($0, type: mode & 0o100 != 0 ? UInt8(ascii: "x") : UInt8(ascii: "f"), digest: digest.digest)
                }
            case (.failure(let error), _), (_, .failure(let error)):
                errors.append(error)
            }
        }
        for path in links {
            do {
                let target = try await fs.destinationOfSymbolicLink(at: path).rawBytes
                let digest = target.withUnsafeBytes { StreamingHasher.digest(algorithm, of: $0) }
                path.rawBytes.withUnsafeBytes { add($0, type: UInt8(ascii: "l"), digest: digest) }
            } catch let error as FileSystemError {
                errors.append(error)
            } catch {
                errors.append(FileSystemError(code: ECANCELED, operation: "readlink", path: path))
            }
        }
        guard errors.isEmpty else { return Outcome(digest: nil, errors: errors, skipped: skipped) }

        // Deepest directories first, so each child's digest exists before its parent's.
        var rootDigest: [UInt8] = []
        var record: [UInt8] = []
        for (path, depth) in directories.sorted(by: { $0.depth > $1.depth }) {
            let nodes = (children[ByteKey(path)] ?? []).sorted { $0.name.lexicographicallyPrecedes($1.name) }
            let hasher = StreamingHasher(algorithm)
            hasher.update(Array("fsring-tree-v1".utf8) + [0])
            for node in nodes {
                record.removeAll(keepingCapacity: true)
                record.append(node.type)
                appendLittleEndian(UInt64(node.name.count), to: &record)
                record += node.name
                appendLittleEndian(UInt64(node.digest.count), to: &record)
                record += node.digest
                hasher.update(record)
            }
            let digest = hasher.finalize()
            if depth == 0 {
                rootDigest = digest
            } else {
                path.withUnsafeBytes { add($0, type: UInt8(ascii: "d"), digest: digest) }
            }
        }
        return Outcome(digest: rootDigest, errors: [], skipped: skipped)
    }

    /// Permission bits of each file.
    private func permissions(of files: PathList) async -> [Result<UInt32, FileSystemError>] {
        let infos = await engine.fileSystem.infos(of: files, followLinks: true)
        return infos.indices.map { index in
            infos[index].map { .success($0.permissions) }
                ?? .failure(FileSystemError(code: ENOENT, operation: "statx", path: files[index]))
        }
    }

    private func appendLittleEndian(_ value: UInt64, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }
}
