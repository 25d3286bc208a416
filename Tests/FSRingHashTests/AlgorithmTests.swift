import FSRing
import FSRingTestSupport
import Glibc
import SystemPackage
import Testing

@testable import FSRingHash

@Suite("Hash algorithms")
struct AlgorithmTests {
    /// Published vectors: FIPS 180-2 ("abc" for SHA-1/256/512), RFC 1321 (MD5),
    /// the xxHash reference (XXH3-128 of the empty input), the BLAKE3 paper's
    /// vectors (empty input).
    @Test(arguments: [
        (HashAlgorithm.sha256, "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            .sha512, "abc",
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        ),
        (.sha1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        (.md5, "abc", "900150983cd24fb0d6963f7d28e17f72"),
        (.md5, "", "d41d8cd98f00b204e9800998ecf8427e"),
        (.xxh128, "", "99aa06d3014798d86001c324468d497f"),
        (.blake3, "", "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"),
    ])
    func knownVectors(algorithm: HashAlgorithm, input: String, expected: String) {
        let digest = Array(input.utf8).withUnsafeBytes { StreamingHasher.digest(algorithm, of: $0) }
        #expect(hexString(digest) == expected)
        #expect(digest.count == algorithm.digestLength)
    }

    static let tools: [(HashAlgorithm, String)] = [
        (.sha256, "sha256sum"), (.sha512, "sha512sum"), (.sha1, "sha1sum"), (.md5, "md5sum"), (.blake3, "b3sum"),
        (.xxh128, "xxh128sum"),
    ]

    /// Every file of a generated tree, each algorithm, both backends: the
    /// digest equals the one the matching tool computes for the same file.
    @Test(arguments: allBackends)
    func everyDigestAgreesWithItsTool(backend: Backend) async throws {
        let scratch = TemporaryDirectory("agree")
        let files = makeHashTree(scratch.path.string)
        let fs = try FileSystem(backend: backend)
        for (algorithm, tool) in Self.tools {
            var engine = HashEngine(fileSystem: fs, algorithm: algorithm)
            engine.smallFileLimit = 64 * 1024  // both paths: batched and streamed
            let results = await engine.digests(of: files.map { FilePath(rawBytes: $0) })
            for (file, result) in zip(files, results) {
                // The tool reads the file through a plain name, so its output is just the digest.
                let link = "\(scratch.path.string)/tool-input"
                unlink(link)
                let target = file.map { CChar(bitPattern: $0) } + [0]
                #expect(target.withUnsafeBufferPointer { symlink($0.baseAddress!, link) } == 0)
                let expected = try shell("\(tool) < '\(link)'").text.prefix(algorithm.digestLength * 2)
                #expect(
                    hexString(try result.get().digest) == String(expected),
                    "\(tool) \(String(decoding: file, as: UTF8.self))")
            }
        }
    }

    /// Large files hashed in pieces, from mappings (in several windows) and
    /// through reads, on both backends: the digest of one pass over the bytes.
    /// Sizes: pieces and windows with a short end; exactly four windows;
    /// one byte, one chunk and a chunk and a byte past a window.
    @Test(arguments: allBackends, [true, false])
    func largeFilesInPiecesMatchOnePass(backend: Backend, mapped: Bool) async throws {
        for size in [(5 << 20) + 777, 4 << 20, (1 << 20) + 1, (1 << 20) + 1024, (1 << 20) + 1025] {
            try await expectPiecesMatchOnePass(size: size, backend: backend, mapped: mapped)
        }
    }

    private func expectPiecesMatchOnePass(size: Int, backend: Backend, mapped: Bool) async throws {
        let scratch = TemporaryDirectory("pieces")
        let path = Array("\(scratch.path.string)/big".utf8)
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 11) }
        writeFile(path, bytes)
        let fs = try fileSystem(backend)
        for algorithm in [HashAlgorithm.blake3, .sha256, .xxh128] {
            let whole = bytes.withUnsafeBytes { StreamingHasher.digest(algorithm, of: $0) }
            for parallel in algorithm == .blake3 ? [1, 3, 8] : [1] {
                var engine = HashEngine(fileSystem: fs, algorithm: algorithm)
                engine.mapsLargeFiles = mapped
                engine.parallelPieces = parallel
                engine.pieceSize = 256 * 1024
                engine.sequentialPieceSize = 192 * 1024
                // Six windows, the last one short; with three tasks, a window
                // of whole pages but not whole pieces (rounded down to four).
                engine.mappingWindow = parallel == 3 ? (1 << 20) + 4096 : 1 << 20
                let digest = try await engine.digest(ofFileAt: FilePath(rawBytes: path))
                #expect(digest.digest == whole, "\(algorithm) parallel \(parallel), \(size) bytes")
                #expect(digest.size == UInt64(bytes.count))
            }
        }
    }

    /// Up to four files are opened, read and closed on the calling task
    /// instead of through the backend: the outcomes are the general path's,
    /// file for file (digests, sizes, and the same error for a missing file
    /// and for a directory, which that path reads), on both backends.
    @Test(arguments: allBackends)
    func aFewFilesHashedInPlaceMatchTheGeneralPath(backend: Backend) async throws {
        let scratch = TemporaryDirectory("in-place")
        let root = scratch.path.string
        let sizes = [0, 1, 1025, 128 * 1024, 128 * 1024 + 1, (3 << 20) + 5]
        var contents: [String: [UInt8]] = [:]
        for size in sizes {
            contents["f\(size)"] = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) }
            writeFile(Array("\(root)/f\(size)".utf8), contents["f\(size)"]!)
        }
        #expect(mkdir("\(root)/dir", 0o755) == 0)
        let groups = [
            ["f0", "f1", "f131073", "missing"], ["dir", "f1025"], ["f131072"], ["f3145733", "f0"],
        ]
        let fs = try fileSystem(backend)
        for algorithm in [HashAlgorithm.blake3, .sha256] {
            for group in groups {
                let paths = PathList(group.map { FilePath("\(root)/\($0)") })
                var inPlace = HashEngine(fileSystem: fs, algorithm: algorithm)
                inPlace.filesHashedInPlace = 4
                var general = inPlace
                general.filesHashedInPlace = 0
                let fast = await inPlace.digestTable(of: paths)
                let slow = await general.digestTable(of: paths)
                for (index, name) in group.enumerated() {
                    switch (fast[index], slow[index]) {
                    case (.success(let fast), .success(let slow)):
                        #expect(fast == slow, "\(algorithm) \(name)")
                        let bytes = contents[name] ?? []
                        #expect(fast.digest == bytes.withUnsafeBytes { StreamingHasher.digest(algorithm, of: $0) })
                        #expect(fast.size == UInt64(bytes.count))
                    case (.failure(let fast), .failure(let slow)):
                        #expect(fast.code == slow.code && fast.path == slow.path, "\(name): \(fast) / \(slow)")
                    default:
                        Issue.record("\(algorithm) \(name): \(fast[index]) in place, \(slow[index]) in general")
                    }
                }
            }
        }
    }

    /// A large file's BLAKE3 subtrees run from its start, one after another,
    /// each a power of two of whole chunks starting at a multiple of its
    /// size, and leave 1 to 1,024 bytes for the end.
    @Test(arguments: [(2 << 20) + 1, 4 << 20, (4 << 20) + 1, (4 << 20) + 1024, (4 << 20) + 1025, (7 << 20) - 1])
    func subtreePlanCoversAllButTheEnd(size: Int) throws {
        var engine = HashEngine(fileSystem: try FileSystem(), algorithm: .blake3)
        engine.pieceSize = 2 << 20
        let plan = engine.subtreePlan(size: size)
        var expectedStart = 0
        for subtree in plan {
            #expect(subtree.lowerBound == expectedStart)
            let chunks = subtree.count / BLAKE3.chunkLength
            #expect(chunks * BLAKE3.chunkLength == subtree.count && chunks & (chunks - 1) == 0, "\(subtree)")
            #expect(subtree.lowerBound % subtree.count == 0, "\(subtree) is aligned")
            #expect(subtree.count <= engine.pieceSize)
            expectedStart = subtree.upperBound
        }
        #expect((1...BLAKE3.chunkLength).contains(size - expectedStart), "\(size - expectedStart) bytes left")
        // A file of one piece or less is hashed through `update` alone.
        #expect(engine.subtreePlan(size: 2 << 20).isEmpty)
    }

    @Test func unreadableAndMissingFilesAreReportedPerFile() async throws {
        let scratch = TemporaryDirectory("errors")
        writeFile(Array("\(scratch.path.string)/ok".utf8), [1, 2, 3])
        let fs = try FileSystem()
        let results = await HashEngine(fileSystem: fs, algorithm: .sha256).digests(of: [
            FilePath("\(scratch.path.string)/ok"), FilePath("\(scratch.path.string)/missing"),
        ])
        #expect(
            (try? results[0].get()).map { hexString($0.digest) }
                == "039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81"
        )
        if case .failure(let error) = results[1] {
            #expect(error.code == ENOENT)
            #expect(error.path == FilePath("\(scratch.path.string)/missing"))
        } else {
            Issue.record("a missing file hashed")
        }
    }

    /// The flat table keeps each file's own outcome, whatever the order set.
    @Test func digestTableKeepsEachOutcome() {
        var table = DigestTable(count: 4, digestLength: 3)
        ([9, 8, 7] as [UInt8]).withUnsafeBytes { table.set(2, digest: $0, size: 30) }
        table.set(0, error: FileSystemError(code: EACCES, operation: "open", path: "a"))
        ([1, 2, 3] as [UInt8]).withUnsafeBytes { table.set(1, digest: $0, size: 10) }
        #expect(table.error(at: 0)?.code == EACCES)
        #expect(table.withDigest(at: 1) { Array($0) } == [1, 2, 3] && table.size(at: 1) == 10)
        #expect(table.withDigest(at: 2) { Array($0) } == [9, 8, 7] && table.size(at: 2) == 30)
        #expect((try? table[2].get()) == FileDigest(digest: [9, 8, 7], size: 30))
        // Never hashed (a cancelled run): reported, not taken for a digest.
        #expect(!table.isKnown(3) && table.error(at: 3)?.code == ECANCELED)
        // A failure overwritten by a later success is a success.
        ([4, 5, 6] as [UInt8]).withUnsafeBytes { table.set(0, digest: $0, size: 1) }
        #expect(table.error(at: 0) == nil && table.withDigest(at: 0) { Array($0) } == [4, 5, 6])
    }
}
