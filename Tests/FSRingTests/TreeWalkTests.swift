import FSRing
import FSRingTestSupport
import Glibc
import Synchronization
import SystemPackage
import Testing

/// Raw bytes of a path, for comparisons that must not go through UTF-8.
func pathBytes(_ path: FilePath) -> [UInt8] {
    path.withPlatformString { Array(UnsafeBufferPointer(start: $0, count: strlen($0))).map { UInt8(bitPattern: $0) } }
}

func collect(_ walk: TreeWalk) async -> [WalkEntry] {
    var entries: [WalkEntry] = []
    for await entry in walk { entries.append(entry) }
    return entries
}

@Suite("Tree walk")
struct TreeWalkTests {
    let tree = fixturesDirectory.appending("tree")

    @Test(arguments: allBackends)
    func walkMatchesFindByteForByte(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let entries = await collect(fs.walk(at: tree))
        #expect(entries.allSatisfy { $0.error == nil })
        // find prints NUL-separated raw paths and a type letter for each.
        let find = try runProcess(["/usr/bin/find", tree.string, "-printf", "%y%p\\0"])
        #expect(find.status == 0)
        let expected = find.standardOutput.split(separator: 0).map { Array($0) }
        func letter(_ type: FSRing.FileType) -> UInt8 {
            switch type {
            case .directory: UInt8(ascii: "d")
            case .symbolicLink: UInt8(ascii: "l")
            case .regular: UInt8(ascii: "f")
            default: UInt8(ascii: "?")
            }
        }
        let walked = entries.map { [letter($0.type)] + pathBytes($0.path) }
        #expect(Set(walked) == Set(expected))
        #expect(walked.count == expected.count)
        // Non-UTF-8 names arrive intact.
        let invalidUTF8 = pathBytes(tree) + Array("/bytes-".utf8) + [0xFF, 0xFE] + Array(".bin".utf8)
        #expect(entries.contains { pathBytes($0.path) == invalidUTF8 && $0.type == .regular })
        // Parents before children.
        var seen = Set<[UInt8]>()
        for entry in entries {
            if entry.depth > 0 { #expect(seen.contains(pathBytes(entry.path.removingLastComponent()))) }
            seen.insert(pathBytes(entry.path))
        }
    }

    @Test(arguments: allBackends)
    func followingLinksReportsLoopsAndDanglingLinks(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        var options = TreeWalkOptions()
        options.followSymbolicLinks = true
        let entries = await collect(fs.walk(at: tree, options: options))
        func entry(_ relative: String) -> [WalkEntry] { entries.filter { $0.path == tree.appending(relative) } }
        // links/loop points at itself: statx fails with ELOOP.
        #expect(entry("links/loop").first?.error?.code == ELOOP)
        // links/up leads back to the root: reported, then refused as a loop.
        #expect(entry("links/up").contains { $0.error?.code == ELOOP })
        #expect(entry("links/up").contains { $0.error == nil && $0.type == .directory && $0.isFollowedSymbolicLink })
        // Dangling links are reported as links, without error.
        #expect(entry("links/dangling").first?.type == .symbolicLink)
        #expect(entry("links/dangling").first?.error == nil)
        #expect(entry("links/to-readme").first?.type == .regular)
        #expect(entry("links/to-readme").first?.isFollowedSymbolicLink == true)
        // The walk finished everything else.
        #expect(!entry("nested/a/b/c/deep.txt").isEmpty)
    }

    @Test(arguments: allBackends)
    func depthLimitAndFilters(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        var options = TreeWalkOptions()
        options.maximumDepth = 1
        let shallow = await collect(fs.walk(at: tree, options: options))
        #expect(shallow.map(\.depth).max() == 1)
        #expect(shallow.contains { $0.path == tree.appending("nested") })

        options.maximumDepth = nil
        options.filter = WalkFilter { entry in
            if entry.path.lastComponent == "nested" { return .skip }
            if entry.path.lastComponent == "links" { return .includeWithoutDescending }
            return .include
        }
        let filtered = await collect(fs.walk(at: tree, options: options))
        #expect(!filtered.contains { pathBytes($0.path).starts(with: pathBytes(tree.appending("nested"))) })
        #expect(filtered.contains { $0.path == tree.appending("links") })
        #expect(!filtered.contains { $0.path == tree.appending("links/loop") })
        #expect(filtered.contains { $0.path == tree.appending("日本語/ファイル.txt") })
    }

    @Test(arguments: allBackends)
    func entryDeletedDuringTheWalkArrivesAsAnError(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("vanish")
        for name in ["a", "b"] {
            mkdir(directory(name).string, 0o755)
            for index in 0..<5 { writeFile(directory("\(name)/\(index)"), [1]) }
        }
        let doomed = directory("b")
        let deleted = Atomic<Bool>(false)
        var options = TreeWalkOptions()
        options.filter = WalkFilter { entry in
            // While the root is being read, remove b before the walk enters it.
            if entry.depth == 1 && !deleted.exchange(true, ordering: .relaxed) {
                _ = try? runProcess(["/bin/rm", "-rf", doomed.string])
            }
            return .include
        }
        let entries = await collect(fs.walk(at: directory.path, options: options))
        let failure = entries.first { $0.error != nil }
        #expect(failure?.path == doomed)
        #expect(failure?.error?.code == ENOENT)
        #expect(entries.filter { $0.depth == 2 && $0.error == nil }.count == 5)
    }

    @Test(arguments: allBackends)
    func stayingOnOneFileSystemDoesNotEnterMounts(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        var options = TreeWalkOptions()
        options.maximumDepth = 2
        options.stayOnFileSystem = true
        let staying = await collect(fs.walk(at: "/", options: options))
        #expect(staying.contains { $0.path == "/proc" })
        #expect(!staying.contains { $0.path.starts(with: "/proc") && $0.depth == 2 })
        options.stayOnFileSystem = false
        let crossing = await collect(fs.walk(at: "/proc", options: options))
        #expect(crossing.contains { $0.path == "/proc/self" })
    }

    @Test(arguments: allBackends)
    func stoppingEarlyEndsTheWalk(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        var count = 0
        for await _ in fs.walk(at: "/usr") {
            count += 1
            if count == 100 { break }
        }
        #expect(count == 100)
    }

    @Test(arguments: allBackends)
    func missingRootIsOneErrorEntry(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let entries = await collect(fs.walk(at: "/nonexistent/fsring"))
        #expect(entries.count == 1)
        #expect(entries.first?.error?.code == ENOENT)
    }
}
