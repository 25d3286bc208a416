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
        var errors: [FileSystemError] = []
        var skipped: [FilePath] = []
        var files: [FilePath] = []
        var links: [FilePath] = []
        var directories: [(path: FilePath, depth: Int)] = []
        for await entry in fs.walk(at: root, options: options) {
            if let error = entry.error {
                errors.append(error)
                continue
            }
            switch entry.type {
            case .regular: files.append(entry.path)
            case .symbolicLink: links.append(entry.path)
            case .directory: directories.append((entry.path, entry.depth))
            default: skipped.append(entry.path)
            }
        }
        guard directories.first?.path == root else {
            if errors.isEmpty { errors.append(FileSystemError(code: ENOTDIR, operation: "tree", path: root)) }
            return Outcome(digest: nil, errors: errors, skipped: skipped)
        }

        var children: [[UInt8]: [Node]] = [:]
        func add(_ path: FilePath, type: UInt8, digest: [UInt8]) {
            children[path.removingLastComponent().rawBytes, default: []].append(
                Node(
                    name: path.lastComponent.map { FilePath($0).rawBytes } ?? [], type: type,
                    digest: digest))
        }

        let algorithm = engine.algorithm
        let digests = await engine.digests(of: files)
        let modes = await permissions(of: files)
        for (index, path) in files.enumerated() {
            switch (digests[index], modes[index]) {
            case (.success(let digest), .success(let mode)):
                add(path, type: mode & 0o100 != 0 ? UInt8(ascii: "x") : UInt8(ascii: "f"), digest: digest.digest)
            case (.failure(let error), _), (_, .failure(let error)):
                errors.append(error)
            }
        }
        for path in links {
            do {
                let target = try await fs.destinationOfSymbolicLink(at: path).rawBytes
                let digest = target.withUnsafeBytes { StreamingHasher.digest(algorithm, of: $0) }
                add(path, type: UInt8(ascii: "l"), digest: digest)
            } catch let error as FileSystemError {
                errors.append(error)
            } catch {
                errors.append(FileSystemError(code: ECANCELED, operation: "readlink", path: path))
            }
        }
        guard errors.isEmpty else { return Outcome(digest: nil, errors: errors, skipped: skipped) }

        // Deepest directories first, so each child's digest exists before its parent's.
        var rootDigest: [UInt8] = []
        for (path, _) in directories.sorted(by: { $0.depth > $1.depth }) {
            let nodes = (children[path.rawBytes] ?? []).sorted { $0.name.lexicographicallyPrecedes($1.name) }
            let hasher = StreamingHasher(algorithm)
            hasher.update(Array("fsring-tree-v1".utf8) + [0])
            for node in nodes {
                var record: [UInt8] = [node.type]
                record += littleEndian(UInt64(node.name.count)) + node.name
                record += littleEndian(UInt64(node.digest.count)) + node.digest
                hasher.update(record)
            }
            let digest = hasher.finalize()
            if path == root {
                rootDigest = digest
            } else {
                add(path, type: UInt8(ascii: "d"), digest: digest)
            }
        }
        return Outcome(digest: rootDigest, errors: [], skipped: skipped)
    }

    /// Permission bits of each file, many statx calls in flight at once.
    private func permissions(of files: [FilePath]) async -> [Result<UInt32, FileSystemError>] {
        let fs = engine.fileSystem
        var results = [Result<UInt32, FileSystemError>](
            repeating: .failure(FileSystemError(code: ECANCELED, operation: "statx")), count: files.count)
        let batch = 256
        await withTaskGroup(of: (Int, [Result<UInt32, FileSystemError>]).self) { group in
            for start in stride(from: 0, to: files.count, by: batch) {
                let part = Array(files[start..<min(start + batch, files.count)])
                group.addTask {
                    var modes: [Result<UInt32, FileSystemError>] = []
                    for path in part {
                        do {
                            guard let info = try await fs.info(forFileAt: path) else {
                                modes.append(.failure(FileSystemError(code: ENOENT, operation: "statx", path: path)))
                                continue
                            }
                            modes.append(.success(info.permissions))
                        } catch let error as FileSystemError {
                            modes.append(.failure(error))
                        } catch {
                            modes.append(.failure(FileSystemError(code: ECANCELED, operation: "statx", path: path)))
                        }
                    }
                    return (start, modes)
                }
            }
            for await (start, modes) in group { results.replaceSubrange(start..<start + modes.count, with: modes) }
        }
        return results
    }

    private func littleEndian(_ value: UInt64) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }
}
