import FSRing
import FSRingTestSupport
import Glibc
import SystemPackage
import Testing
import URing

/// Descriptors whose target starts with `prefix` (pipes, files under a test directory).
func countOpenDescriptors(matching prefix: String) -> Int {
    openDescriptorTargets().filter { $0.hasPrefix(prefix) }.count
}

@Suite("Concurrency and cancellation", .serialized)
struct ConcurrencyTests {
    @Test(arguments: allBackends)
    func tenThousandConcurrentOperationsFromManyTasks(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        let directory = TemporaryDirectory("many")
        for index in 0..<100 { writeFile(directory("f\(index)"), randomBytes(index * 10, seed: UInt64(index))) }
        let root = directory.path
        let checked = try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<100 {
                group.addTask {
                    var good = 0
                    for step in 0..<50 {
                        let index = (task + step) % 100
                        let path = root.appending("f\(index)")
                        // Two operations per step: a statx and a whole-file read.
                        let info = try await fs.info(forFileAt: path)
                        let bytes = try await fs.readFile(at: path)
                        if info?.size == UInt64(index * 10) && bytes == randomBytes(index * 10, seed: UInt64(index)) {
                            good += 1
                        }
                    }
                    return good
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(checked == 5000)
        #expect(countOpenDescriptors(matching: root.string) == 0)
    }

    @Test func operationsRunOnRingThreadsAndFromPlainTasks() async throws {
        let fs = try fileSystem(.uring)
        let runtime = try #require(fs.choice.runtime)
        let directory = TemporaryDirectory("pref")
        writeFile(directory("f"), Array("ring".utf8))
        for ring in runtime.rings {
            let bytes = try await withTaskExecutorPreference(ring) {
                let bytes = try await fs.readFile(at: directory("f"))
                #expect(ring.isOwnerThread)
                return bytes
            }
            #expect(bytes == Array("ring".utf8))
        }
        // No preference: the work crosses to a ring and comes back.
        let detached = try await Task.detached { try await fs.readFile(at: directory("f")) }.value
        #expect(detached == Array("ring".utf8))
    }

    @Test func aFileSystemOnACustomRuntime() async throws {
        var configuration = RingConfiguration()
        configuration.maximumInFlight = 8
        configuration.registeredBufferCount = 0
        let runtime = try RingRuntime(ringCount: 1, configuration: configuration)
        defer { runtime.shutdown() }
        let fs = FileSystem(runtime: runtime)
        #expect(fs.choice.runtime?.rings.count == 1)
        let directory = TemporaryDirectory("custom")
        let paths = (0..<100).map { directory("f\($0)") }
        for (index, path) in paths.enumerated() { writeFile(path, randomBytes(index, seed: 3)) }
        let results = await fs.readFiles(at: paths, sizeHint: 64)
        #expect(results.enumerated().allSatisfy { (try? $1.get()) == randomBytes($0, seed: 3) })
    }

    @Test(arguments: allBackends)
    func cancellingAThousandPendingPipeReads(backend: Backend) async throws {
        let fs = try fileSystem(backend)
        var handles: [FileHandle] = []
        var writeEnds: [Int32] = []
        var pipeIdentities: Set<String> = []
        for index in 0..<1000 {
            var ends: [Int32] = [0, 0]
            #expect(pipe(&ends) == 0)
            pipeIdentities.insert(pipeIdentity(ends[0]))
            handles.append(FileHandle(takingOwnershipOf: ends[0], path: FilePath("pipe-\(index)"), fileSystem: fs))
            writeEnds.append(ends[1])
        }
        let readers = handles
        let outcome = await withTaskGroup(of: Bool.self) { group in
            for handle in readers {
                group.addTask {
                    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16, alignment: 8)
                    defer { buffer.deallocate() }
                    do {
                        _ = try await handle.read(into: buffer)
                        return false
                    } catch {
                        return error is CancellationError
                    }
                }
            }
            try? await Task.sleep(for: .milliseconds(200))
            group.cancelAll()
            var cancelled = 0
            for await wasCancelled in group where wasCancelled { cancelled += 1 }
            return cancelled
        }
        #expect(outcome == 1000)
        // The pipes are still usable: nothing was left reading them.
        var byte: UInt8 = 42
        #expect(Glibc.write(writeEnds[0], &byte, 1) == 1)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1, alignment: 1)
        defer { buffer.deallocate() }
        #expect(try await handles[0].read(into: buffer) == 1)
        #expect(buffer[0] == 42)
        for handle in handles { try await handle.close() }
        for end in writeEnds { close(end) }
        #expect(stillOpenPipes(pipeIdentities).isEmpty)
    }
}
