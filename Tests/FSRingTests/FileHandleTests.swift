import FSRing
import FSRingTestSupport
import Glibc
import SystemPackage
import Testing

@Suite("File handles")
struct FileHandleTests {
    /// A file named "file" of `count` random bytes in `directory`.
    private func randomFile(in directory: TemporaryDirectory, count: Int) -> (FilePath, [UInt8]) {
        let path = directory("file")
        let bytes = randomBytes(count, seed: 7)
        writeFile(path, bytes)
        return (path, bytes)
    }

    @Test(arguments: allBackends)
    func writtenBytesReadBackAtRandomSizesAndOffsets(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("rw")
        let path = directory("data.bin")
        var expected: [UInt8] = []
        let handle = try await fs.openFile(forReadingAndWritingAt: path, options: .newFile(replaceExisting: false))
        var generator = SystemRandomNumberGenerator()
        for round in 0..<60 {
            let size = [0, 1, 4095, 4096, 4097, 65536, 300_001][round % 7] + Int.random(in: 0..<64, using: &generator)
            let offset = Int.random(in: 0...(expected.count + 10_000), using: &generator)
            let bytes = randomBytes(size, seed: UInt64(round))
            try await handle.write(contentsOf: bytes, toAbsoluteOffset: Int64(offset))
            // Writing nothing changes nothing, even past the end (POSIX).
            if size > 0 {
                if expected.count < offset + size {
                    expected += [UInt8](repeating: 0, count: offset + size - expected.count)
                }
                expected.replaceSubrange(offset..<offset + size, with: bytes)
            }

            // Read back a random window through fsring, and the whole file through libc.
            let start = Int.random(in: 0...expected.count, using: &generator)
            let length = Int.random(in: 0...(expected.count - start + 100), using: &generator)
            let chunk = try await handle.readChunk(fromAbsoluteOffset: Int64(start), length: length)
            #expect(chunk == Array(expected[start..<min(expected.count, start + length)]))
        }
        #expect(try await handle.readToEnd(maximumSizeAllowed: 1 << 30) == expected)
        try await handle.close()
        #expect(libcRead(path) == expected)
    }

    /// A handle opened in place (its calls made on the caller's thread)
    /// reads, describes, advises and closes as one opened through the
    /// backend does; a path that cannot be opened is the same error.
    @Test(arguments: allBackends)
    func aHandleOpenedInPlaceBehavesAsAnyOther(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("in-place")
        let (path, bytes) = randomFile(in: directory, count: 300_001)
        let opened = try fs.openForReadingInPlace(PathList([path]), 0).get()
        let handle = opened.handle
        #expect(opened.info.size == UInt64(bytes.count))
        #expect(try await handle.info().size == UInt64(bytes.count))
        try await handle.advise(.sequential)
        #expect(try await handle.readChunk(fromAbsoluteOffset: 4093, length: 10_000) == Array(bytes[4093..<14093]))
        #expect(try await handle.readChunk(fromAbsoluteOffset: 300_000, length: 10) == [bytes[300_000]])
        try await handle.close()
        await #expect(throws: FileSystemError.self) { try await handle.close() }
        switch fs.openForReadingInPlace(PathList([directory("missing")]), 0) {
        case .failure(let error): #expect(error.code == ENOENT && error.operation == "open")
        case .success: Issue.record("a missing file opened")
        }
    }

    @Test(arguments: allBackends)
    func readIntoCallerMemory(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("caller")
        let (path, bytes) = randomFile(in: directory, count: 10_000)
        try await fs.withFileHandle(forReadingAt: path) { handle in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 16)
            defer { buffer.deallocate() }
            let count = try await handle.read(into: buffer, fromAbsoluteOffset: 8000)
            #expect(count == 2000)
            #expect(Array(buffer[..<count]) == Array(bytes[8000...]))
            #expect(try await handle.read(into: buffer, fromAbsoluteOffset: 10_000) == 0)
        }
    }

    @Test(arguments: allBackends)
    func openOptionsCreateTruncateAppendExclusive(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("open")
        let path = directory("file")
        try await fs.writeFile(at: path, bytes: Array("hello world".utf8))
        #expect(libcRead(path) == Array("hello world".utf8))

        // Exclusive create of an existing file fails with EEXIST.
        await #expect(throws: FileSystemError.self) {
            _ = try await fs.openFile(forWritingAt: path, options: .newFile(replaceExisting: false))
        }
        do {
            _ = try await fs.openFile(forWritingAt: path, options: .newFile(replaceExisting: false))
        } catch let error as FileSystemError {
            #expect(error.code == EEXIST)
            #expect(error.description == "open '\(path.string)': File exists (EEXIST)")
        }

        // Append goes to the end whatever the position.
        let appender = try await fs.openFile(
            forWritingAt: path, options: OpenOptions(creation: .never, append: true))
        let exclamations = UnsafeMutableRawBufferPointer.allocate(byteCount: 2, alignment: 1)
        defer { exclamations.deallocate() }
        exclamations.copyBytes(from: Array("!!".utf8))
        #expect(try await appender.write(from: UnsafeRawBufferPointer(exclamations)) == 2)
        try await appender.close()
        #expect(libcRead(path) == Array("hello world!!".utf8))

        // Truncate empties it; permissions apply to new files.
        try await fs.openFile(forWritingAt: path, options: OpenOptions(creation: .never, truncate: true)).close()
        #expect(libcRead(path) == [])
        try await fs.openFile(
            forWritingAt: directory("new"), options: .newFile(replaceExisting: false, permissions: 0o600)
        ).close()
        #expect(libcStat(directory("new"))!.st_mode & 0o777 == 0o600)

        // modifyFile without create fails on a missing file.
        do {
            _ = try await fs.openFile(
                forWritingAt: directory("missing"), options: .modifyFile(createIfNecessary: false))
            Issue.record("opening a missing file succeeded")
        } catch let error as FileSystemError {
            #expect(error.code == ENOENT)
        }
    }

    @Test(arguments: allBackends)
    func infoMatchesStat(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("info")
        let path = directory("file")
        writeFile(path, randomBytes(12345, seed: 1), mode: 0o640)
        chmod(path.string, 0o4750)
        let info = try #require(try await fs.info(forFileAt: path))
        let expected = try #require(libcStat(path))
        #expect(info.type == .regular)
        #expect(info.permissions == 0o4750)
        #expect(info.mode == UInt32(expected.st_mode))
        #expect(info.size == UInt64(expected.st_size))
        #expect(info.blocks == UInt64(expected.st_blocks))
        #expect(info.inode == UInt64(expected.st_ino))
        #expect(info.linkCount == UInt32(expected.st_nlink))
        #expect(info.userID == expected.st_uid)
        #expect(info.groupID == expected.st_gid)
        #expect(info.lastModified.seconds == Int64(expected.st_mtim.tv_sec))
        #expect(info.lastModified.nanoseconds == UInt32(expected.st_mtim.tv_nsec))
        #expect(info.lastAccessed.nanoseconds == UInt32(expected.st_atim.tv_nsec))
        #expect(info.lastStatusChange.seconds == Int64(expected.st_ctim.tv_sec))

        // Through a handle, the same file.
        let handleInfo = try await fs.withFileHandle(forReadingAt: path) { try await $0.info() }
        #expect(handleInfo.inode == info.inode)

        // A symbolic link: described itself or followed.
        try await fs.createSymbolicLink(at: directory("link"), withDestination: "file")
        #expect(try await fs.info(forFileAt: directory("link"), infoAboutSymbolicLink: true)?.type == .symbolicLink)
        #expect(try await fs.info(forFileAt: directory("link"))?.inode == info.inode)
        #expect(try await fs.info(forFileAt: directory("nothing")) == nil)
        #expect(try await fs.info(forFileAt: directory.path)?.type == .directory)
    }

    @Test(arguments: allBackends)
    func syncAllocateAndAdvise(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("alloc")
        let path = directory("file")
        let handle = try await fs.openFile(forWritingAt: path, options: .newFile(replaceExisting: false))
        try await handle.allocate(offset: 0, length: 1 << 20)
        #expect(libcStat(path)!.st_size == 1 << 20)
        try await handle.allocate(offset: 1 << 20, length: 1 << 20, keepSize: true)
        #expect(libcStat(path)!.st_size == 1 << 20)
        #expect(libcStat(path)!.st_blocks >= (2 << 20) / 512)
        try await handle.write(contentsOf: [1, 2, 3], toAbsoluteOffset: 5)
        try await handle.synchronize()
        try await handle.synchronize(dataOnly: true)
        try await handle.advise(.sequential)
        try await handle.advise(.dontNeed, offset: 0, length: 4096)
        try await handle.close()
        #expect(Array(libcRead(path)![0..<8]) == [0, 0, 0, 0, 0, 1, 2, 3])
    }

    @Test(arguments: allBackends)
    func closedHandleFailsWithEBADF(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("closed")
        writeFile(directory("f"), [1])
        let handle = try await fs.openFile(forReadingAt: directory("f"))
        try await handle.close()
        do {
            _ = try await handle.readChunk(fromAbsoluteOffset: 0, length: 1)
            Issue.record("read after close succeeded")
        } catch let error as FileSystemError {
            #expect(error.code == EBADF)
        }
        await #expect(throws: FileSystemError.self) { try await handle.close() }
    }
}
