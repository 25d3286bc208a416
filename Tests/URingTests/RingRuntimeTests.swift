import Dispatch
import FSRingTestSupport
import Glibc
import Testing

@testable import URing

/// One runtime for the whole suite: rings are threads, not cheap to churn.
let sharedRuntime: RingRuntime = {
    do {
        return try RingRuntime(ringCount: 2)
    } catch {
        fatalError("io_uring is required for URingTests: \(error)")
    }
}()

@Suite("Ring runtime", .serialized)
struct RingRuntimeTests {
    @Test func nopCompletesWithZero() async throws {
        let result = try await sharedRuntime.ring().submit(.nop())
        #expect(result == 0)
    }

    @Test func operationsOnTheRingThreadResumeThere() async throws {
        let ring = sharedRuntime.rings[0]
        try await withTaskExecutorPreference(ring) {
            #expect(ring.isOwnerThread)
            for _ in 0..<100 {
                let result = try await ring.submit(.nop())
                #expect(result == 0)
                #expect(ring.isOwnerThread)
            }
        }
    }

    @Test func tenThousandConcurrentOperationsFromManyTasks() async throws {
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<100 {
                let ring = sharedRuntime.rings[task % sharedRuntime.rings.count]
                if task % 2 == 0 {
                    group.addTask(executorPreference: ring) {
                        var done = 0
                        for _ in 0..<100 where try await ring.submit(.nop()) == 0 { done += 1 }
                        return done
                    }
                } else {
                    // No preference: submissions cross threads through the inbox.
                    group.addTask {
                        var done = 0
                        for _ in 0..<100 where try await ring.submit(.nop()) == 0 { done += 1 }
                        return done
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(total == 10_000)
    }

    @Test func backpressureQueuesBeyondTheInFlightLimit() async throws {
        var configuration = RingConfiguration()
        configuration.maximumInFlight = 4
        configuration.submissionQueueEntries = 4
        let runtime = try RingRuntime(ringCount: 1, configuration: configuration)
        defer { runtime.shutdown() }
        let ring = runtime.rings[0]
        let chains = (0..<500).map { _ in [SubmissionEntry.nop().linked(), .nop(), .nop()] }
        let results = try await ring.submit(batch: chains)
        #expect(results.count == 500)
        let unexpected = results.filter { $0.results != [0, 0, 0] }.map(\.results)
        #expect(unexpected.isEmpty, "\(unexpected.prefix(3))")
    }

    @Test func cancellingPendingPipeReadsThrowsAndLeaksNothing() async throws {
        var pipes: [(Int32, Int32)] = []
        for _ in 0..<1000 {
            var ends: [Int32] = [0, 0]
            #expect(pipe(&ends) == 0)
            pipes.append((ends[0], ends[1]))
        }
        let pipeIdentities = Set(pipes.map { pipeIdentity($0.0) })
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1000 * 8, alignment: 8)
        defer { buffer.deallocate() }
        let address = UInt(bitPattern: buffer)
        let readEnds = pipes.map(\.0)
        let outcome = await withTaskGroup(of: Bool.self) { group in
            for (position, readEnd) in readEnds.enumerated() {
                group.addTask {
                    let target = UnsafeMutableRawPointer(bitPattern: address + UInt(position * 8))!
                    do {
                        _ = try await sharedRuntime.ring().submit(
                            .read(.descriptor(readEnd), into: target, length: 8, offset: UInt64.max))
                        return false
                    } catch {
                        return error is CancellationError
                    }
                }
            }
            // Let the reads reach the kernel, then cancel them all.
            try? await Task.sleep(for: .milliseconds(100))
            group.cancelAll()
            var cancelled = 0
            for await wasCancelled in group where wasCancelled { cancelled += 1 }
            return cancelled
        }
        #expect(outcome == 1000)
        for (readEnd, writeEnd) in pipes {
            close(readEnd)
            close(writeEnd)
        }
        #expect(stillOpenPipes(pipeIdentities).isEmpty)
    }

    @Test func shutdownCancelsPendingWorkAndClosesEverything() async throws {
        let before = openDescriptorCount()
        let runtime = try RingRuntime(ringCount: 2)
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let readEnd = ends[0]
        let ring = runtime.rings[1]
        let pending = Task {
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
            defer { buffer.deallocate() }
            return try await ring.submit(.read(.descriptor(readEnd), into: buffer, length: 8, offset: UInt64.max))
        }
        try await Task.sleep(for: .milliseconds(50))
        runtime.shutdown()
        let result = try await pending.value
        #expect(result == -ECANCELED)
        let afterShutdown = try await ring.submit(.nop())
        #expect(afterShutdown == -ECANCELED)
        close(ends[0])
        close(ends[1])
        // Other suites open and close rings and pipes meanwhile: wait (up to
        // 10 s) for a moment with no more of them open than before. Two
        // rings left open would keep the count above it.
        var after = openDescriptorCount()
        for _ in 0..<100 where after > before {
            try await Task.sleep(for: .milliseconds(100))
            after = openDescriptorCount()
        }
        #expect(after <= before)
    }
}

extension RingRuntimeTests {
    /// A shutdown right after start can come between the ring thread's look
    /// at its inbox and its sleep; it must still end the thread. Run on a
    /// thread of its own so that a hang fails the test instead of stalling
    /// the run.
    @Test func ringsShutDownRightAfterStartingEveryTime() throws {
        let done = DispatchSemaphore(value: 0)
        let rounds = 2000
        _ = try PersistentThread.spawn(name: "shutdown-race") {
            for _ in 0..<rounds {
                guard let runtime = try? RingRuntime(ringCount: 1) else { break }
                runtime.shutdown()
            }
            done.signal()
        }
        #expect(done.wait(timeout: .now() + .seconds(60)) == .success, "a ring's shutdown hung")
    }
}

extension RingRuntimeTests {
    /// A ring's thread starts with its first work, which waits in the inbox
    /// until the thread has enabled the ring; a shutdown right after still
    /// completes it and ends the thread. The ring given no work closes
    /// without ever having had a thread.
    @Test func ringsStartTheirThreadsOnFirstWork() async throws {
        let leftBehind = try await asyncDescriptorsLeft(after: 100) {
            let runtime = try RingRuntime(ringCount: 2)
            let results = try await (runtime.rings[1].submit(.nop()), runtime.rings[1].submit(.nop()))
            #expect(results == (0, 0))
            runtime.shutdown()
        }
        #expect(leftBehind < 50)
    }

    private func asyncDescriptorsLeft(after repetitions: Int, _ attempt: () async throws -> Void) async rethrows -> Int
    {
        let before = ringDescriptorCount()
        for _ in 0..<repetitions { try await attempt() }
        return ringDescriptorCount() - before
    }
}

@Suite("Ring setup failures")
struct RingSetupFailureTests {
    /// When rings cannot be set up, the runtime throws the kernel's reason
    /// and leaves no descriptor behind; rings that can be set up still are.
    ///
    /// Other suites open and close rings and pipes while this runs, so one
    /// attempt's count proves nothing either way: many attempts are counted
    /// together, and a leak of even one descriptor each would leave at least
    /// as many behind as there were attempts.
    @Test func ringsThatCannotBeSetUpFailCleanly() throws {
        var impossible = RingConfiguration()
        impossible.submissionQueueEntries = 1 << 20  // above the kernel's limit of 32,768
        impossible.maximumInFlight = 1 << 20
        let failedAttempts = 40
        let leftByFailures = descriptorsLeft(after: failedAttempts) {
            for count in [1, 3] {
                do throws(RingSetupError) {
                    _ = try RingRuntime(ringCount: count, configuration: impossible)
                    Issue.record("a ring of 2^20 entries was set up")
                } catch {
                    #expect(error.code == EINVAL, "\(error)")
                }
            }
        }
        #expect(leftByFailures < failedAttempts / 2)
        let runtimes = 30
        let leftByShutdowns = try descriptorsLeft(after: runtimes) {
            let runtime = try RingRuntime(ringCount: 3)
            #expect(runtime.rings.map(\.index) == [0, 1, 2])
            runtime.shutdown()
        }
        #expect(leftByShutdowns < runtimes / 2)
    }

    /// How many more descriptors of the runtime's kinds (rings and their
    /// eventfds; not pipes, of which another suite holds 2,000 for a moment)
    /// are open after `repetitions` runs of `attempt` than before.
    private func descriptorsLeft(after repetitions: Int, _ attempt: () throws -> Void) rethrows -> Int {
        let before = ringDescriptorCount()
        for _ in 0..<repetitions { try attempt() }
        return ringDescriptorCount() - before
    }
}

/// Descriptors of the kinds the runtime creates (rings, eventfds) and the
/// pipes tests read through it.
func openDescriptorCount() -> Int {
    openDescriptorTargets().filter { $0.contains("io_uring") || $0.contains("eventfd") || $0.hasPrefix("pipe:") }.count
}

/// Descriptors of the kinds the runtime creates: rings and eventfds.
func ringDescriptorCount() -> Int {
    openDescriptorTargets().filter { $0.contains("io_uring") || $0.contains("eventfd") }.count
}

@Suite("Linked chains")
struct LinkedChainTests {
    /// open (direct) -> read -> close, for an existing and a missing file.
    func readChain(_ path: UnsafePointer<CChar>, into buffer: UnsafeMutableRawPointer) -> [SubmissionEntry] {
        [
            .openIntoChainSlot(at: AT_FDCWD, path: path, flags: O_RDONLY, mode: 0).linked().skippingSuccess(),
            .read(.chainSlot, into: buffer, length: 64, offset: 0).hardLinked(),
            .close(.chainSlot),
        ]
    }

    @Test func chainReadsAFileAndReportsOpenFailures() async throws {
        let ring = sharedRuntime.rings[0]
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 8)
        defer { buffer.deallocate() }
        let version = CPathForTest("/proc/version")
        let nonexistent = CPathForTest("/nonexistent/file")
        let present = try await ring.submit(chain: readChain(version.pointer, into: buffer))
        #expect(present.results[0] == nil)  // open succeeded silently
        #expect((present.results[1] ?? 0) > 0)
        #expect(present.results[2] == 0)
        let missing = try await ring.submit(chain: readChain(nonexistent.pointer, into: buffer))
        #expect(missing.results[1] == -ECANCELED)
        withExtendedLifetime((version, nonexistent)) {}
        #expect(missing.results[0] == -ENOENT)
        #expect(missing.firstError?.errno == ENOENT)
    }

    @Test func batchesOfChainsOnTheRingThread() async throws {
        let ring = sharedRuntime.rings[1]
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 64 * 300, alignment: 8)
        defer { buffer.deallocate() }
        let version = CPathForTest("/proc/version")
        let nonexistent = CPathForTest("/nonexistent")
        defer { withExtendedLifetime((version, nonexistent)) {} }
        let chains = (0..<300).map { index in
            readChain(index % 3 == 0 ? nonexistent.pointer : version.pointer, into: buffer + index * 64)
        }
        let results = try await withTaskExecutorPreference(ring) { try await ring.submit(batch: chains) }
        #expect(results.count == 300)
        #expect(
            results.enumerated().allSatisfy { index, result in
                index % 3 == 0 ? result.results[0] == -ENOENT : (result.results[1] ?? 0) > 0
            })

        // The same chains laid out in one array, from another thread.
        memset(buffer, 0, 64 * 300)
        var expected = [UInt8](repeating: 0, count: 64)
        let descriptor = open("/proc/version", O_RDONLY)
        try #require(descriptor >= 0)
        let count = expected.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, 64) }
        close(descriptor)
        try #require(count > 0)
        expected.removeLast(64 - count)
        let flat = try await ring.submit(batch: chains.flatMap { $0 }, chainLength: 3)
        #expect(flat.count == 300)
        for (index, result) in flat.enumerated() {
            #expect(result.count == 3)
            if index % 3 == 0 {
                #expect(result[0] == -ENOENT && result[1] == -ECANCELED, "chain \(index)")
                #expect(result.firstError?.index == 0)
            } else {
                #expect(result[0] == nil && result[1] == Int32(expected.count) && result[2] == 0, "chain \(index)")
                let bytes = UnsafeRawBufferPointer(start: buffer + index * 64, count: expected.count)
                #expect(Array(bytes) == expected, "chain \(index)")
            }
        }
    }
}

/// A C string that stays allocated while the test holds it.
final class CPathForTest: Sendable {
    // Sendable: the address of memory owned by this object, freed in deinit.
    private let address: UInt
    var pointer: UnsafePointer<CChar> { UnsafePointer(bitPattern: address)! }
    init(_ text: String) { address = UInt(bitPattern: strdup(text)) }
    deinit { free(UnsafeMutablePointer<CChar>(bitPattern: address)) }
}

@Suite("Registered buffers")
struct RegisteredBufferTests {
    @Test func fixedWritesAndReadsRoundTrip() async throws {
        let ring = sharedRuntime.rings[0]
        try #require(ring.hasRegisteredBuffers)
        let path = CPathForTest("/tmp/fsring-fixed-\(getpid())")
        defer { unlink(path.pointer) }
        let descriptor = try await ring.submit(
            .open(at: AT_FDCWD, path: path.pointer, flags: O_RDWR | O_CREAT | O_TRUNC, mode: 0o600))
        #expect(descriptor >= 0)
        let pattern = (0..<ring.registeredBufferSize).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try await ring.withRegisteredBuffer { buffer in
            buffer.bytes.copyBytes(from: pattern)
            let written = try await ring.submit(
                .writeFixed(
                    .descriptor(descriptor), from: buffer.base, length: buffer.size, offset: 0,
                    bufferIndex: buffer.index))
            #expect(written == Int32(buffer.size))
            buffer.bytes.initializeMemory(as: UInt8.self, repeating: 0)
            let read = try await ring.submit(
                .readFixed(
                    .descriptor(descriptor), into: buffer.base, length: buffer.size, offset: 0,
                    bufferIndex: buffer.index))
            #expect(read == Int32(buffer.size))
            #expect(Array(buffer.bytes) == pattern)
        }
        // More leases than buffers: later ones wait for earlier ones, none is lost.
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<64 {
                group.addTask { try await ring.withRegisteredBuffer { $0.size } }
            }
            return try await group.reduce(0, +)
        }
        #expect(total == 64 * ring.registeredBufferSize)
        #expect(try await ring.submit(.close(.descriptor(descriptor))) == 0)
    }
}
