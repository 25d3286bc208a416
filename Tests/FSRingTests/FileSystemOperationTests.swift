import FSRing
import FSRingTestSupport
import Glibc
import Synchronization
import SystemPackage
import Testing

@Suite("File-system operations")
struct FileSystemOperationTests {
    /// Expects `body` to fail with a FileSystemError of `code` naming `path`.
    func expectFailure(
        _ code: Int32, _ operation: String, _ path: FilePath, _ body: () async throws -> Void,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        do {
            try await body()
            Issue.record("expected \(operation) to fail with errno \(code)", sourceLocation: sourceLocation)
        } catch let error as FileSystemError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            #expect(error.operation == operation, "\(error)", sourceLocation: sourceLocation)
            #expect(error.path == path, "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: allBackends)
    func everyErrorPathReportsErrnoOperationAndPath(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("errors")
        let file = directory("file")
        writeFile(file, [1, 2, 3])
        let missing = directory("missing/child")
        await expectFailure(ENOENT, "open", missing) { _ = try await fs.openFile(forReadingAt: missing) }
        await expectFailure(EEXIST, "mkdir", file) { try await fs.createDirectory(at: file) }
        await expectFailure(ENOTDIR, "open", file.appending("below")) {
            _ = try await fs.openFile(forReadingAt: file.appending("below"))
        }
        await expectFailure(ENOTDIR, "open", file) { _ = try await fs.openDirectory(atPath: file) }
        await expectFailure(EISDIR, "open", directory.path) {
            _ = try await fs.openFile(forWritingAt: directory.path, options: .modifyFile(createIfNecessary: false))
        }
        await expectFailure(ENOENT, "unlink", missing) { try await fs.removeFile(at: missing) }
        await expectFailure(ENOTDIR, "open", file) { _ = try await fs.listContents(of: file) }
        try await fs.createDirectory(at: directory("full"))
        writeFile(directory("full/x"), [])
        await expectFailure(ENOTEMPTY, "rmdir", directory("full")) {
            try await fs.removeEmptyDirectory(at: directory("full"))
        }
        do {
            try await fs.createSymbolicLink(at: file, withDestination: "x")
            Issue.record("symlink over a file succeeded")
        } catch let error as FileSystemError {
            #expect(error.code == EEXIST)
            #expect(error.description == "symlink '\(file.string)' -> 'x': File exists (EEXIST)")
        }
    }

    @Test(arguments: allBackends)
    func directoriesLinksRenameAndRemove(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("ops")
        try await fs.createDirectory(at: directory("a/b/c"), withIntermediateDirectories: true, permissions: 0o750)
        #expect(libcStat(directory("a/b/c"))!.st_mode & 0o777 == 0o750)
        try await fs.createDirectory(at: directory("a/b/c"), withIntermediateDirectories: true)

        writeFile(directory("a/file"), Array("content".utf8))
        try await fs.createHardLink(at: directory("a/hard"), to: directory("a/file"))
        #expect(libcStat(directory("a/file"))!.st_nlink == 2)
        #expect(libcStat(directory("a/hard"))!.st_ino == libcStat(directory("a/file"))!.st_ino)

        try await fs.createSymbolicLink(at: directory("a/soft"), withDestination: "../a/file")
        #expect(try await fs.destinationOfSymbolicLink(at: directory("a/soft")) == "../a/file")
        #expect(libcRead(directory("a/soft")) == Array("content".utf8))

        try await fs.moveItem(at: directory("a/file"), to: directory("a/renamed"))
        #expect(libcStat(directory("a/file")) == nil)
        #expect(libcRead(directory("a/renamed")) == Array("content".utf8))
        do {
            try await fs.moveItem(at: directory("a/renamed"), toNonExisting: directory("a/hard"))
            Issue.record("RENAME_NOREPLACE replaced a file")
        } catch let error as FileSystemError {
            #expect(error.code == EEXIST)
        }

        let removed = try await fs.removeItem(at: directory("a"), recursively: true)
        #expect(removed == 6)  // directories a, b, c; hard, soft, renamed
        #expect(libcStat(directory("a")) == nil)
        #expect(try await fs.removeItem(at: directory("a")) == 0)
    }

    @Test(arguments: allBackends)
    func listingMatchesReaddirWithNonUTF8Names(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("list")
        let names: [[UInt8]] = [
            Array("plain.txt".utf8), Array("héllo wörld".utf8), Array("日本語".utf8),
            [0x6C, 0x61, 0x74, 0x69, 0x6E, 0xE9], [0xFF, 0xFE, 0x41], Array("with\nnewline".utf8),
            Array("back\\slash".utf8),
        ]
        for name in names {
            let path = directory.path.appending(
                FilePath.Component(platformString: name.map { CChar(bitPattern: $0) } + [0])!)
            writeFile(path, name)
        }
        mkdir(directory("sub").string, 0o755)
        let entries = try await fs.listContents(of: directory.path)
        let listed = Set(
            entries.map { entry in
                entry.name.withPlatformString {
                    Array(UnsafeBufferPointer(start: $0, count: strlen($0))).map { UInt8(bitPattern: $0) }
                }
            })
        #expect(listed == Set(names + [Array("sub".utf8)]))
        #expect(entries.first { $0.name == "sub" }?.type == .directory)
        #expect(entries.filter { $0.type == .regular }.count == names.count)

        // Each non-UTF-8 path opens and reads back byte for byte.
        for entry in entries where entry.type == .regular {
            let bytes = try await fs.readFile(at: directory.path.appending(entry.name))
            let name = entry.name.withPlatformString {
                Array(UnsafeBufferPointer(start: $0, count: strlen($0))).map { UInt8(bitPattern: $0) }
            }
            #expect(bytes == name)
        }
        let viaHandle = try await fs.withDirectoryHandle(atPath: directory.path) { try await $0.listContents() }
        #expect(Set(viaHandle.map(\.name)) == Set(entries.map(\.name)))
    }

    @Test(arguments: allBackends)
    func readFilesBatchReturnsEachFileOrItsError(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("batch")
        var paths: [FilePath] = []
        var expected: [[UInt8]?] = []
        for index in 0..<300 {
            let path = directory("f\(index)")
            paths.append(path)
            if index % 37 == 5 {
                expected.append(nil)  // never created
                continue
            }
            let size = [0, 1, 4095, 4096, 4097, 20_000, 70_000][index % 7]
            let bytes = randomBytes(size, seed: UInt64(index))
            writeFile(path, bytes)
            expected.append(bytes)
        }
        // In place: each file's bytes handed over during the call.
        let seen = Mutex([Int: Result<[UInt8], FileSystemError>]())
        await fs.forEachFile(at: paths, sizeHint: 4096) { index, contents in
            let copy = contents.map { [UInt8]($0) }
            seen.withLock { $0[index] = copy }
        }
        let streamed = seen.withLock { $0 }
        #expect(streamed.count == paths.count)

        // In batches: every file once, the small ones read together, a
        // file larger than the hint on its own.
        let batches = Mutex([[Int]]())
        let batched = Mutex([Int: Result<[UInt8], FileSystemError>]())
        await fs.forEachBatch(at: paths, sizeHint: 4096) { files in
            batches.withLock { $0.append(files.map(\.index)) }
            for file in files {
                let copy = file.contents.map { [UInt8]($0) }
                batched.withLock { $0[file.index] = copy }
                if case .success(let bytes) = file.contents, bytes.count > 4096 { #expect(files.count == 1) }
            }
        }
        let indexes = batches.withLock { $0 }.flatMap { $0 }
        #expect(indexes.sorted() == Array(paths.indices))
        #expect(batches.withLock { $0 }.contains { $0.count > 1 })
        for index in paths.indices {
            #expect((try? batched.withLock { $0 }[index]?.get()) == (try? streamed[index]?.get()), "file \(index)")
        }
        let results = await fs.readFiles(at: paths, sizeHint: 4096)
        for index in paths.indices {
            #expect((try? streamed[index]?.get()) == (try? results[index].get()), "file \(index)")
        }
        #expect(results.count == paths.count)
        for (index, result) in results.enumerated() {
            switch (result, expected[index]) {
            case (.success(let bytes), .some(let wanted)):
                #expect(bytes == wanted, "file \(index)")
            case (.failure(let error), .none):
                #expect(error.code == ENOENT)
                #expect(error.path == paths[index])
            default:
                Issue.record("file \(index): \(result)")
            }
        }
    }

    /// Types of paths named together: a few are looked up on the caller's
    /// thread, more in jobs of the blocking pool; every way agrees.
    @Test(arguments: allBackends)
    func typesOfPathsNamedTogether(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("types")
        writeFile(directory("file"), [1])
        try await fs.createDirectory(at: directory("dir"))
        try await fs.createSymbolicLink(at: directory("link"), withDestination: "file")
        try await fs.createSymbolicLink(at: directory("dangling"), withDestination: "nowhere")
        #expect(mkfifo(directory("fifo").string, 0o600) == 0)
        let named: [(String, followed: FSRing.FileType?, unfollowed: FSRing.FileType?)] = [
            ("file", .regular, .regular), ("dir", .directory, .directory), ("link", .regular, .symbolicLink),
            ("dangling", nil, .symbolicLink), ("missing", nil, nil), ("fifo", .fifo, .fifo),
        ]
        // In place, one job of the blocking pool, and (past 512) several side by side.
        for count in [1, 3, infosLookedUpInPlace, 12, 600] {
            let chosen = (0..<count).map { named[$0 % named.count] }
            let paths = chosen.map { directory($0.0) }
            #expect(await fs.types(of: paths, followLinks: true) == chosen.map(\.followed), "\(count)")
            #expect(await fs.types(of: paths, followLinks: false) == chosen.map(\.unfollowed), "\(count)")
        }
    }
}
