import FSRing
import FSRingTestSupport
import Glibc
import SystemPackage
import Testing

@Suite("Mapped regions")
struct MappedRegionTests {
    @Test(arguments: allBackends)
    func mappedBytesAreTheFilesBytes(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("map")
        let path = directory("data.bin")
        let bytes = randomBytes(3 * 65536 + 123, seed: 7)
        writeFile(path, bytes)
        try await fs.withFileHandle(forReadingAt: path) { handle in
            let alignment = FileHandle.mappingAlignment
            let seen = try await handle.withMappedRegion(offset: Int64(alignment), count: bytes.count - alignment) {
                region in
                region.prefault(0..<region.count)
                let copy = Array(region.bytes(0..<region.count))
                region.release(0..<4096)
                // Released pages map again when read.
                #expect(Array(region.bytes(0..<4096)) == Array(bytes[alignment..<alignment + 4096]))
                return copy
            }
            #expect(seen == Array(bytes[alignment...]))
        }
    }

    /// A file cut short while mapped: the lost bytes read as zeros instead of
    /// ending the process with SIGBUS, and the mapping's user is told.
    @Test(arguments: allBackends)
    func aFileTruncatedWhileMappedIsReportedNotFatal(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("map-truncated")
        let path = directory("shrinks.bin")
        let bytes = randomBytes(64 * 4096, seed: 11)
        writeFile(path, bytes)
        try await fs.withFileHandle(forReadingAt: path) { handle in
            var afterTruncation: [UInt8] = []
            await #expect {
                try await handle.withMappedRegion(offset: 0, count: bytes.count) { region in
                    #expect(Array(region.bytes(0..<8192)) == Array(bytes[0..<8192]))
                    #expect(truncate(path.string, 4096) == 0)
                    afterTruncation = Array(region.bytes(0..<region.count))
                }
            } throws: { error in
                let error = error as? FileSystemError
                return error?.code == EIO && error?.path == path
            }
            // The bytes still in the file, then zeros where the rest was
            // (the rest of the last page is zeros in the file too).
            #expect(Array(afterTruncation[0..<4096]) == Array(bytes[0..<4096]))
            #expect(afterTruncation[4096...].allSatisfy { $0 == 0 })
            #expect(afterTruncation.count == bytes.count)

            // Later mappings of the same file work as usual.
            let again = try await handle.withMappedRegion(offset: 0, count: 4096) { Array($0.bytes(0..<4096)) }
            #expect(again == Array(bytes[0..<4096]))
        }
    }

    @Test(arguments: allBackends)
    func whatCannotBeMappedFailsWithTheReason(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("map-refused")
        let fifo = directory("pipe")
        #expect(mkfifo(fifo.string, 0o644) == 0)
        let descriptor = open(fifo.string, O_RDONLY | O_NONBLOCK)
        #expect(descriptor >= 0)
        let handle = FileHandle(takingOwnershipOf: descriptor, path: fifo, fileSystem: fs)
        await #expect {
            try await handle.withMappedRegion(offset: 0, count: 4096) { _ in }
        } throws: { error in
            let error = error as? FileSystemError
            return error?.operation == "mmap" && error?.code == ENODEV && error?.path == fifo
        }
        await #expect {
            try await handle.withMappedRegion(offset: 1, count: 4096) { _ in }
        } throws: { error in
            (error as? FileSystemError)?.code == EINVAL
        }
        try await handle.close()
    }
}
