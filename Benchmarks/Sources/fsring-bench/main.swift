// fsring-bench: the measurements behind Benchmarks/foundation.sh.
//
//   fsring-bench small-files LISTFILE METHOD REPETITIONS
//       open + read + close of every file named in LISTFILE (one path a line)
//       METHOD: fsring | fsring-arrays | fsring-posix | syscalls | nio
//   fsring-bench pread FILE METHOD DEPTH OPERATIONS REPETITIONS
//       random 4 KiB preads at queue depth DEPTH
//       METHOD: fsring | threads
//   fsring-bench nio-copy SOURCE DESTINATION
//       _NIOFileSystem's copyItem with the parallel strategy (for copy.sh)
//   fsring-bench blake3-batches LISTFILE REPETITIONS
//       the small-file path of fsring hash in memory: batches of 64 files
//       copied into a slab and hashed with BLAKE3, one thread
//   fsring-bench evict DIRECTORY
//       drops the page cache of every file below DIRECTORY (after a sync),
//       so copies kept for later deletion do not crowd the next runs
//
// Prints one line: METHOD and the median rate over the repetitions.
import FSRing
import FSRingHash
import Glibc
import Synchronization
import SystemPackage
import URing
import _NIOFileSystem

typealias NIOFileSystem = _NIOFileSystem.FileSystem

func fail(_ message: String) -> Never {
    writeToStandardError("fsring-bench: \(message)\n")
    exit(2)
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1
        ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

// MARK: Small files

/// The plain blocking loop every tool uses: open, read, close, one file at a time.
func readWithSyscalls(_ paths: [String], sizeHint: Int) -> Int {
    let capacity = sizeHint + 1
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
    defer { buffer.deallocate() }
    var total = 0
    for path in paths {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 { fail("open \(path): \(errno)") }
        while true {
            let count = read(descriptor, buffer, capacity)
            if count <= 0 { break }
            total += count
            if count < capacity { break }  // a short read of a regular file is its end
        }
        close(descriptor)
    }
    return total
}

/// fsring's batch reader, contents handed over in place (no copy, nothing kept).
func readWithFSRing(_ paths: [FilePath], backend: Backend, sizeHint: Int) async -> Int {
    let fs: FSRing.FileSystem
    do { fs = try FSRing.FileSystem(backend: backend) } catch { fail("\(error)") }
    let total = Atomic<Int>(0)
    await fs.forEachFile(at: paths, sizeHint: sizeHint) { _, contents in
        switch contents {
        case .success(let bytes): total.add(bytes.count, ordering: .relaxed)
        case .failure(let error): fail("\(error)")
        }
    }
    return total.load(ordering: .relaxed)
}

/// fsring's batch reader returning every file as a new array.
func readArraysWithFSRing(_ paths: [FilePath], sizeHint: Int) async -> Int {
    let fs: FSRing.FileSystem
    do { fs = try FSRing.FileSystem(backend: .uring) } catch { fail("\(error)") }
    var total = 0
    for result in await fs.readFiles(at: paths, sizeHint: sizeHint) {
        switch result {
        case .success(let bytes): total += bytes.count
        case .failure(let error): fail("\(error)")
        }
    }
    return total
}

/// _NIOFileSystem at its best: 64 files in flight on its thread pool.
func readWithNIO(_ paths: [String]) async -> Int {
    let fs = NIOFileSystem.shared
    return await withTaskGroup(of: Int.self) { group in
        var next = 0
        var total = 0
        func add() {
            let path = paths[next]
            next += 1
            group.addTask {
                do {
                    return try await fs.withFileHandle(forReadingAt: _NIOFileSystem.FilePath(path)) {
                        try await $0.readToEnd(maximumSizeAllowed: .bytes(1 << 20)).readableBytes
                    }
                } catch {
                    fail("nio \(path): \(error)")
                }
            }
        }
        while next < min(64, paths.count) { add() }
        for await count in group {
            total += count
            if next < paths.count { add() }
        }
        return total
    }
}

func smallFiles(_ arguments: [String]) async {
    guard arguments.count == 3, let repetitions = Int(arguments[2]) else { fail("usage: small-files LIST METHOD REPS") }
    let list = String(decoding: readAll(arguments[0]), as: UTF8.self)
    let paths = list.split(separator: "\n").map(String.init)
    let filePaths = paths.map { FilePath($0) }
    let method = arguments[1]
    var rates: [Double] = []
    var bytes = 0
    for _ in 0..<repetitions {
        let clock = ContinuousClock()
        let start = clock.now
        switch method {
        case "syscalls": bytes = readWithSyscalls(paths, sizeHint: 4096)
        case "fsring": bytes = await readWithFSRing(filePaths, backend: .uring, sizeHint: 4096)
        case "fsring-arrays": bytes = await readArraysWithFSRing(filePaths, sizeHint: 4096)
        case "fsring-posix": bytes = await readWithFSRing(filePaths, backend: .posix, sizeHint: 4096)
        case "nio": bytes = await readWithNIO(paths)
        default: fail("unknown method \(method)")
        }
        rates.append(Double(paths.count) / seconds(clock.now - start))
    }
    if bytes != paths.count * 4096 { fail("\(method) read \(bytes) bytes, expected \(paths.count * 4096)") }
    print("\(method) \(Int(median(rates))) files/s")
}

func readAll(_ path: String) -> [UInt8] {
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else { fail("cannot read \(path)") }
    defer { close(descriptor) }
    var result: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = read(descriptor, &buffer, buffer.count)
        if count <= 0 { return result }
        result += buffer[..<count]
    }
}

// MARK: Random reads

/// Offsets of 4 KiB blocks, from a fixed seed so every method reads the same ones.
func offsets(count: Int, fileSize: Int, seed: UInt64) -> [Int64] {
    var state = seed
    let blocks = UInt64(fileSize / 4096)
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int64((state >> 17) % blocks) * 4096
    }
}

/// A blocking thread pool at queue depth D: D threads, each with its share of preads.
func preadWithThreads(_ path: String, depth: Int, operations: Int, fileSize: Int) -> Int {
    let descriptor = open(path, O_RDONLY)
    if descriptor < 0 { fail("open \(path)") }
    defer { close(descriptor) }
    final class Counter: @unchecked Sendable {
        // @unchecked: each thread writes only its own index before join.
        var counts: [Int]
        init(_ n: Int) { counts = Array(repeating: 0, count: n) }
    }
    let counter = Counter(depth)
    var threads: [PersistentThread] = []
    for index in 0..<depth {
        let share = offsets(count: operations / depth, fileSize: fileSize, seed: UInt64(index + 1))
        do {
            threads.append(
                try PersistentThread.spawn(name: "bench-\(index)") {
                    let buffer = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 4096)
                    defer { buffer.deallocate() }
                    var done = 0
                    for offset in share where pread(descriptor, buffer, 4096, off_t(offset)) == 4096 { done += 1 }
                    counter.counts[index] = done
                })
        } catch { fail("\(error)") }
    }
    for thread in threads { thread.join() }
    return counter.counts.reduce(0, +)
}

/// fsring at queue depth D: D tasks spread over the rings, each awaiting its reads in turn.
func preadWithFSRing(_ path: String, depth: Int, operations: Int, fileSize: Int) async -> Int {
    do {
        let fs = try FSRing.FileSystem(backend: .uring)
        guard let runtime = fs.choice.runtime else { fail("no io_uring runtime") }
        let handle = try await fs.openFile(forReadingAt: FilePath(path))
        let done = await withTaskGroup(of: Int.self) { group in
            for index in 0..<depth {
                let share = offsets(count: operations / depth, fileSize: fileSize, seed: UInt64(index + 1))
                group.addTask(executorPreference: runtime.rings[index % runtime.rings.count]) {
                    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 4096)
                    defer { buffer.deallocate() }
                    var done = 0
                    for offset in share where (try? await handle.read(into: buffer, fromAbsoluteOffset: offset)) == 4096
                    {
                        done += 1
                    }
                    return done
                }
            }
            return await group.reduce(0, +)
        }
        try await handle.close()
        return done
    } catch {
        fail("\(error)")
    }
}

func randomReads(_ arguments: [String]) async {
    guard arguments.count == 5, let depth = Int(arguments[2]), let operations = Int(arguments[3]),
        let repetitions = Int(arguments[4])
    else { fail("usage: pread FILE METHOD DEPTH OPS REPS") }
    var info = stat()
    guard stat(arguments[0], &info) == 0 else { fail("stat \(arguments[0])") }
    let fileSize = Int(info.st_size)
    var rates: [Double] = []
    for _ in 0..<repetitions {
        let clock = ContinuousClock()
        let start = clock.now
        let done: Int
        switch arguments[1] {
        case "threads": done = preadWithThreads(arguments[0], depth: depth, operations: operations, fileSize: fileSize)
        case "fsring":
            done = await preadWithFSRing(arguments[0], depth: depth, operations: operations, fileSize: fileSize)
        default: fail("unknown method \(arguments[1])")
        }
        if done != operations / depth * depth { fail("\(arguments[1]) completed \(done) reads") }
        rates.append(Double(done) / seconds(clock.now - start))
    }
    print("\(arguments[1]) \(Int(median(rates))) reads/s")
}

/// BLAKE3 over a buffer in memory, one thread: the kernel's own speed.
func blake3Memory(_ arguments: [String]) {
    guard arguments.count == 2, let megabytes = Int(arguments[0]), let repetitions = Int(arguments[1]) else {
        fail("usage: blake3-memory MEGABYTES REPS")
    }
    let bytes = [UInt8](repeating: 0x5A, count: megabytes << 20)
    var rates: [Double] = []
    for _ in 0..<repetitions {
        let clock = ContinuousClock()
        let start = clock.now
        var hasher = BLAKE3()
        hasher.update(bytes)
        _ = hasher.finalize()
        rates.append(Double(bytes.count) / seconds(clock.now - start) / 1e9)
    }
    print("blake3-\(BLAKE3.implementation) \(median(rates)) GB/s")
}

/// The small-file path of `fsring hash` without the kernel: the files named
/// in LISTFILE up to 128 KiB, loaded once, then per batch of 64 copied into
/// a slab (128 KiB + 1 apart, as the io_uring reads place them) and hashed
/// with `BLAKE3.digests`, on one thread. Steadier than timing the whole
/// command when a change touches only the hashing.
func blake3Batches(_ arguments: [String]) {
    guard arguments.count == 2, let repetitions = Int(arguments[1]) else { fail("usage: blake3-batches LISTFILE REPS") }
    let capacity = 128 * 1024 + 1
    var files: [[UInt8]] = []
    for path in String(decoding: readAll(arguments[0]), as: UTF8.self).split(separator: "\n").map(String.init) {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { continue }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: capacity)
        let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, capacity) }
        guard count >= 0, count < capacity else { continue }
        files.append(Array(bytes[..<count]))
    }
    if files.isEmpty {
        fail("blake3-batches: no file of LISTFILE could be read (paths are relative to the current directory)")
    }
    let slab = UnsafeMutableRawPointer.allocate(byteCount: capacity * 64, alignment: 4096)
    defer { slab.deallocate() }
    // The digests go into one buffer, as fsring's DigestTable takes them.
    let digests = UnsafeMutableRawBufferPointer.allocate(byteCount: 32 * 64, alignment: 8)
    defer { digests.deallocate() }
    let total = files.reduce(0) { $0 + $1.count }
    var rates: [Double] = []
    for _ in 0..<repetitions {
        let clock = ContinuousClock()
        let start = clock.now
        for batchStart in stride(from: 0, to: files.count, by: 64) {
            let batch = files[batchStart..<min(batchStart + 64, files.count)]
            var inputs: [UnsafeRawBufferPointer] = []
            for (slot, file) in batch.enumerated() {
                let place = slab + slot * capacity
                file.withUnsafeBytes { place.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                inputs.append(UnsafeRawBufferPointer(start: place, count: file.count))
            }
            BLAKE3.digests(of: inputs, into: digests)
        }
        rates.append(Double(total) / seconds(clock.now - start) / 1e9)
    }
    print("blake3-batches \(files.count) files \(total) bytes \(median(rates)) GB/s")
}

/// The tree walk alone: entries per second.
func walkTree(_ arguments: [String]) async {
    guard arguments.count == 2, let repetitions = Int(arguments[1]) else { fail("usage: walk DIR REPS") }
    let fs: FSRing.FileSystem
    do { fs = try FSRing.FileSystem() } catch { fail("\(error)") }
    var rates: [Double] = []
    var count = 0
    for _ in 0..<repetitions {
        let clock = ContinuousClock()
        let start = clock.now
        count = 0
        for await _ in fs.walk(at: FilePath(arguments[0])) { count += 1 }
        rates.append(Double(count) / seconds(clock.now - start))
    }
    print("walk \(Int(median(rates))) entries/s (\(count) entries)")
}

/// One tree copy with _NIOFileSystem, as copy.sh times it against fsring copy and cp -a.
func nioCopy(_ arguments: [String]) async {
    guard arguments.count == 2 else { fail("usage: nio-copy SOURCE DESTINATION") }
    do {
        try await NIOFileSystem.shared.copyItem(
            at: FilePath(arguments[0]), to: FilePath(arguments[1]), strategy: .parallel(maxDescriptors: 256),
            replaceExisting: false, shouldProceedAfterError: { _, error in throw error },
            shouldCopyItem: { _, _ in true })
    } catch {
        fail("nio-copy: \(error)")
    }
}

/// posix_fadvise(DONTNEED) on every regular file of a tree.
func evict(_ arguments: [String]) async {
    guard arguments.count == 1 else { fail("usage: evict DIRECTORY") }
    let fs: FSRing.FileSystem
    do { fs = try FSRing.FileSystem() } catch { fail("\(error)") }
    for await entry in fs.walk(at: FilePath(arguments[0])) where entry.type == .regular {
        let descriptor = open(entry.path.string, O_RDONLY)
        guard descriptor >= 0 else { continue }
        _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_DONTNEED)
        close(descriptor)
    }
}

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "small-files": await smallFiles(Array(arguments.dropFirst()))
case "pread": await randomReads(Array(arguments.dropFirst()))
case "blake3-memory": blake3Memory(Array(arguments.dropFirst()))
case "blake3-batches": blake3Batches(Array(arguments.dropFirst()))
case "walk": await walkTree(Array(arguments.dropFirst()))
case "nio-copy": await nioCopy(Array(arguments.dropFirst()))
case "evict": await evict(Array(arguments.dropFirst()))
default: fail("usage: fsring-bench small-files|pread ...")
}
