import FSRing
import Synchronization
import SystemPackage
import URing

#if canImport(Glibc)
    import Glibc
#endif

/// Hashes files, many at once and large ones in pieces.
///
/// Small files go through `FileSystem.forEachBatch`: 64 open -> read ->
/// close chains per submission, hashed straight from the kernel's buffer
/// (BLAKE3 hashes a batch's files side by side). Larger files are mapped
/// and hashed in place, with no copy; BLAKE3 hashes the pieces of one file
/// on all cores at once, as subtrees of its tree. Where a file cannot be
/// mapped, it is read in pieces with the next read in flight while the
/// current piece is hashed.
public struct HashEngine: Sendable {
    public let fileSystem: FileSystem
    public let algorithm: HashAlgorithm
    /// Files up to this size are read whole in one chain.
    public var smallFileLimit = 128 * 1024
    /// BLAKE3's piece of a large file, hashed as one subtree by one task
    /// (a power of two number of 1 KiB chunks). 2 MiB, one page table's
    /// worth, so that threads hashing neighbouring pieces of a mapping do
    /// not share its lock: 1 GiB cached, four paired rounds, 0.21-0.24 s
    /// against 0.23-0.27 s with 1 MiB.
    public var pieceSize = 2 << 20
    /// The piece of a file hashed front to back (any algorithm but BLAKE3,
    /// and BLAKE3's last piece): the unit read, or mapped ahead. Measured
    /// when reading: 128 KiB pieces took twice as long as
    /// 1 MiB on a 1 GiB file, the cost of each read's round trip outweighing
    /// the cache misses it saves.
    public var sequentialPieceSize = 1 << 20
    /// Pieces of one BLAKE3 file hashed at once.
    public var parallelPieces = RingRuntime.onlineCores * 2
    /// Whether files larger than `smallFileLimit` are hashed from a mapping
    /// (else read into buffers). Measured on a 1 GiB file in the page cache:
    /// reading copies every byte once more, which cost BLAKE3 15-20% and
    /// XXH3 about 10% of their speed against b3sum and xxh128sum.
    public var mapsLargeFiles = true
    /// Bytes mapped at once (rounded down to whole pieces). Larger files are
    /// mapped window after window, which bounds the page tables one file needs.
    public var mappingWindow = 1 << 30

    /// Up to this many files, `digestTable` opens, reads and closes them
    /// with plain system calls on the calling task (one file) or its child
    /// tasks (several, side by side), instead of through the backend's
    /// threads; mapped files are still hashed on all cores. `fsring hash
    /// FILE` then makes no trip to another thread before it hashes.
    public var filesHashedInPlace = 4

    public init(fileSystem: FileSystem, algorithm: HashAlgorithm) {
        self.fileSystem = fileSystem
        self.algorithm = algorithm
    }

    /// The digest and size of each file, in the order given; failures per file.
    public func digests(of paths: [FilePath]) async -> [DigestResult] {
        let table = await digestTable(of: PathList(paths))
        return (0..<table.count).map { table[$0] }
    }

    /// Every file's outcome in one flat table (see `DigestTable`), in the
    /// order given; `finished`, when given, hears of each file as soon as it
    /// is done (from several threads at once): for output that does not wait.
    public func digestTable(
        of paths: PathList, finished: (@Sendable (Int, DigestResult) -> Void)? = nil
    ) async -> DigestTable {
        if paths.count <= filesHashedInPlace, let table = await tableInPlace(of: paths, finished: finished) {
            return table
        }
        let algorithm = self.algorithm
        let results = ResultSlots(count: paths.count, digestLength: algorithm.digestLength, finished: finished)
        await fileSystem.forEachBatch(at: paths, sizeHint: smallFileLimit, readingLargerFilesWhole: false) { files in
            var read: [(index: Int, bytes: UnsafeRawBufferPointer)] = []
            var failed: [(index: Int, error: FileSystemError)] = []
            read.reserveCapacity(files.count)
            for file in files {
                switch file.contents {
                case .success(let bytes): read.append((file.index, bytes))
                case .failure(let error) where error.code == EFBIG: break  // streamed below
                case .failure(let error): failed.append((file.index, error))
                }
            }
            let inputs = read.map(\.bytes)
            let digestBytes = algorithm.digestLength * inputs.count
            withUnsafeTemporaryAllocation(byteCount: max(digestBytes, 1), alignment: 8) { digests in
                // BLAKE3 hashes the batch's files side by side in its SIMD lanes.
                if algorithm == .blake3 {
                    BLAKE3.digests(of: inputs, into: digests)
                } else {
                    StreamingHasher.digests(algorithm, of: inputs, into: digests)
                }
                results.record(
                    hashed: read.map { ($0.index, UInt64($0.bytes.count)) },
                    digests: UnsafeRawBufferPointer(rebasing: digests[..<digestBytes]), failed: failed)
            }
        }
        let large = results.missing()
        // Several large files at once (BLAKE3 also spreads each file over the
        // cores): four per core, because each file waits between its steps
        // (open, map, pages mapped ahead). Linux tree, 714 files over 128 KiB
        // (512 MB), after the small files: one per core took BLAKE3
        // 0.15-0.18 s and SHA-256 0.32-0.33 s; two per core 0.12-0.15 s and
        // 0.28-0.29 s; four per core, five paired rounds against two: BLAKE3
        // median 0.147 s against 0.153 s, SHA-256 0.298 s against 0.311 s.
        // At most 64, which bounds the buffers of files read instead of mapped.
        let concurrentFiles = min(RingRuntime.onlineCores * 4, 64)
        await withTaskGroup(of: Void.self) { group in
            var next = 0
            func add() {
                let index = large[next]
                next += 1
                group.addTask {
                    let result: DigestResult
                    do {
                        result = .success(try await digest(ofFileAt: paths[index]))
                    } catch let error as FileSystemError {
                        result = .failure(error)
                    } catch {
                        result = .failure(FileSystemError(code: ECANCELED, operation: "read", path: paths[index]))
                    }
                    results.set(index, result)
                }
            }
            while next < min(concurrentFiles, large.count) { add() }
            for await _ in group where next < large.count { add() }
        }
        return results.table()
    }

    /// The digest of one file of any size, and how many bytes it covers.
    public func digest(ofFileAt path: FilePath) async throws -> FileDigest {
        try await fileSystem.withFileHandle(forReadingAt: path) { handle in
            let size = Int(clamping: try await handle.info().size)
            try? await handle.advise(.sequential)
            return try await digest(of: handle, size: size)
        }
    }

    /// Hashes a few files opened in place (`filesHashedInPlace`): one on
    /// the calling task, several side by side in child tasks; nil, with
    /// nothing reported, when one of them is not a regular file (the
    /// general path reads it, as it reads FIFOs and devices).
    private func tableInPlace(
        of paths: PathList, finished: (@Sendable (Int, DigestResult) -> Void)?
    ) async -> DigestTable? {
        let opened = (0..<paths.count).map { fileSystem.openForReadingInPlace(paths, $0) }
        let allRegular = opened.allSatisfy { file in
            guard case .success(let file) = file else { return true }
            return file.info.type == .regular
        }
        guard allRegular else {
            for case .success(let file) in opened { try? await file.handle.close() }
            return nil
        }
        let results = ResultSlots(count: paths.count, digestLength: algorithm.digestLength, finished: finished)
        if opened.count == 1 {
            switch opened[0] {
            case .failure(let error): results.set(0, .failure(error))
            case .success(let file): results.set(0, await digestInPlace(file.handle, size: file.info.size))
            }
            return results.table()
        }
        // Side by side, as the general path hashes large files: SHA-256 and
        // XXH3 hash a file on one core (two 1 GiB files one after the other
        // took 1.90 s against 1.06 s).
        await withTaskGroup(of: Void.self) { group in
            for (index, file) in opened.enumerated() {
                switch file {
                case .failure(let error):
                    results.set(index, .failure(error))
                case .success(let file):
                    group.addTask { results.set(index, await digestInPlace(file.handle, size: file.info.size)) }
                }
            }
        }
        return results.table()
    }

    /// A file opened in place, hashed and closed: its outcome.
    private func digestInPlace(_ handle: FileHandle, size: UInt64) async -> DigestResult {
        try? await handle.advise(.sequential)
        var result: DigestResult
        do {
            result = .success(try await digest(of: handle, size: Int(clamping: size)))
        } catch let error as FileSystemError {
            result = .failure(error)
        } catch {
            result = .failure(FileSystemError(code: ECANCELED, operation: "read", path: handle.path))
        }
        do {
            try await handle.close()
        } catch let error as FileSystemError {
            if case .success = result { result = .failure(error) }
        } catch {}
        return result
    }

    /// The digest of an open file of `size` bytes (when it was looked up).
    private func digest(of handle: FileHandle, size: Int) async throws -> FileDigest {
        if mapsLargeFiles && size > smallFileLimit {
            do {
                return try await mapped(handle, size: size)
            } catch let error as FileSystemError where error.operation == "mmap" {
                // Not mappable (a special file, or too many mappings at
                // once): read it instead.
            }
        }
        if algorithm == .blake3 && size > 2 * pieceSize {
            return try await blake3InPieces(handle, size: size)
        }
        if size <= smallFileLimit {
            // One read takes it all: nothing to keep in flight.
            let hasher = StreamingHasher(algorithm)
            let end = try await hashToEnd(handle, from: 0, into: hasher)
            return FileDigest(digest: hasher.finalize(), size: UInt64(end))
        }
        return try await sequential(handle)
    }

    /// Hashes the first `size` bytes in place, window after window, then
    /// reads whatever the file has gained since `size` was taken. For BLAKE3
    /// the subtrees of `subtreePlan` are hashed on any core; the last bytes
    /// go through `update`, so that the root is computed where the input ends.
    private func mapped(_ handle: FileHandle, size: Int) async throws -> FileDigest {
        let hasher = StreamingHasher(algorithm)
        let plan = algorithm == .blake3 ? subtreePlan(size: size) : []
        let updatesFrom = plan.last?.upperBound ?? 0
        // Whole pieces, so that no subtree straddles two windows.
        let window = max(pieceSize, mappingWindow / pieceSize * pieceSize)
        var offset = 0
        var unhashed = plan[...]
        while offset < size {
            let count = min(window, size - offset)
            // The plan is in order: this window's subtrees come next.
            let inWindow = Array(unhashed.prefix { $0.upperBound <= offset + count })
            unhashed = unhashed.dropFirst(inWindow.count)
            try await handle.withMappedRegion(offset: Int64(offset), count: count) { [offset] region in
                // Each task maps its subtree's pages before hashing it. They stay
                // mapped until the window is unmapped: releasing each piece
                // behind (MADV_DONTNEED) cost a TLB flush on every core each
                // time, and 1 GiB took 0.165-0.168 s that way against
                // 0.157-0.165 s without (three rounds of five; XXH3 likewise).
                let values = try await subtreeValues(inWindow, buffered: false) { subtree, _ in
                    let inRegion = subtree.lowerBound - offset..<subtree.upperBound - offset
                    region.prefault(inRegion)
                    return region.bytes(inRegion)
                }
                for (subtree, value) in zip(inWindow, values) {
                    hasher.appendBLAKE3Subtree(value, chunks: subtree.count / BLAKE3.chunkLength)
                }
                await hashInOrder(region, from: max(offset, updatesFrom) - offset, into: hasher)
            }
            offset += count
        }
        let end = try await hashToEnd(handle, from: offset, into: hasher)
        return FileDigest(digest: hasher.finalize(), size: UInt64(end))
    }

    /// The BLAKE3 subtrees, in order, that cover a file of `size` bytes up to
    /// the part that goes through `update`: its whole pieces but the last;
    /// then, for a file of more than one piece, the rest but its last 1 to
    /// 1,024 bytes, as aligned power-of-two subtrees each half the one
    /// before. Those are hashed on all cores too, last and smallest, so that
    /// no core waits while another hashes the end of the file alone (a 2 MiB
    /// piece is about 1 ms of one core).
    func subtreePlan(size: Int) -> [Range<Int>] {
        let wholePieces = (size - 1) / pieceSize
        var plan = (0..<wholePieces).map { $0 * pieceSize..<($0 + 1) * pieceSize }
        guard wholePieces > 0 else { return plan }
        var start = wholePieces * pieceSize
        // Each subtree starts at a multiple of its size: the ones before it
        // were larger powers of two.
        var length = pieceSize / 2
        while length >= BLAKE3.chunkLength {
            if start + length < size {
                plan.append(start..<start + length)
                start += length
            }
            length /= 2
        }
        return plan
    }

    /// Reads and hashes from `offset` to the end of the file (the last
    /// piece, and whatever the file has grown by); returns the end.
    private func hashToEnd(_ handle: FileHandle, from offset: Int, into hasher: StreamingHasher) async throws -> Int {
        let buffer = PieceBuffer.take(size: pieceSize)
        defer { buffer.giveBack() }
        var offset = offset
        while true {
            let filled = try await buffer.fill(from: handle, at: Int64(offset))
            if filled == 0 { return offset }
            hasher.update(buffer.bytes(count: filled))
            offset += filled
        }
    }

    /// The BLAKE3 chaining values of `subtrees` (byte ranges of the file, from
    /// `subtreePlan`), in order, computed by `parallelPieces` tasks that take
    /// subtrees in turn. `bytes` gives a subtree's bytes to its task, in that
    /// task's buffer (of `pieceSize` bytes) when `buffered`.
    private func subtreeValues(
        _ subtrees: [Range<Int>], buffered: Bool,
        bytes:
            @escaping @Sendable (_ subtree: Range<Int>, _ buffer: PieceBuffer?) async throws -> UnsafeRawBufferPointer
    ) async throws -> [[UInt8]] {
        let pieceSize = self.pieceSize
        let cursor = WorkCursor()
        var values = [[UInt8]](repeating: [], count: subtrees.count)
        try await withThrowingTaskGroup(of: [(Int, [UInt8])].self) { group in
            for _ in 0..<min(parallelPieces, subtrees.count) {
                group.addTask {
                    let buffer = buffered ? PieceBuffer.take(size: pieceSize) : nil
                    defer { buffer?.giveBack() }
                    var finished: [(Int, [UInt8])] = []
                    while let index = cursor.next(below: subtrees.count) {
                        let subtree = subtrees[index]
                        let chunkIndex = subtree.lowerBound / BLAKE3.chunkLength
                        finished.append(
                            (index, BLAKE3.subtreeValue(try await bytes(subtree, buffer), chunkIndex: chunkIndex)))
                    }
                    return finished
                }
            }
            for try await finished in group {
                for (index, value) in finished { values[index] = value }
            }
        }
        return values
    }

    /// Hashes `region` from `start` to its end, piece after piece. Other
    /// tasks map the next pieces' pages meanwhile, so that the hashing
    /// thread only hashes.
    private func hashInOrder(_ region: MappedRegion, from start: Int, into hasher: StreamingHasher) async {
        let pieceSize = self.sequentialPieceSize
        let pieces = Array(stride(from: start, to: region.count, by: pieceSize)).map {
            $0..<min($0 + pieceSize, region.count)
        }
        guard pieces.count > 1 else {
            if let only = pieces.first {
                region.prefault(only)
                hasher.update(region.bytes(only))
            }
            return
        }
        // Helper k maps piece k, started when piece k - ahead is hashed. Each
        // is awaited before its piece is read.
        // Measured with XXH3 on 1 GiB cached (1 MiB pieces): when helpers
        // mapped with MADV_POPULATE_READ, 8 ahead was the fastest (0.12-0.13 s
        // against 0.14-0.16 s for 2, 6 and 16); touching pages instead, 2 to
        // 16 ahead all take 0.09-0.105 s, and 8 was kept.
        let ahead = 8
        var helpers: [Task<Void, Never>] = pieces.prefix(ahead).map { piece in Task { region.prefault(piece) } }
        for (index, piece) in pieces.enumerated() {
            await helpers[index].value
            hasher.update(region.bytes(piece))
            if index + ahead < pieces.count {
                let next = pieces[index + ahead]
                helpers.append(Task { region.prefault(next) })
            }
        }
    }

    /// Reads piece after piece, the next one in flight while this one is hashed.
    private func sequential(_ handle: FileHandle) async throws -> FileDigest {
        let hasher = StreamingHasher(algorithm)
        let pieceSize = self.sequentialPieceSize
        // Reads for the next `ahead` pieces are in flight while one is hashed.
        let ahead = 2
        let buffers = (0...ahead).map { _ in PieceBuffer.take(size: pieceSize) }
        defer { buffers.forEach { $0.giveBack() } }
        var pending: [Task<Int, any Error>] = []
        func start(_ piece: Int) {
            let buffer = buffers[piece % buffers.count]
            pending.append(Task { try await buffer.fill(from: handle, at: Int64(piece) * Int64(pieceSize)) })
        }
        var hashed: UInt64 = 0
        do {
            for piece in 0..<ahead { start(piece) }
            var piece = 0
            while true {
                let filled = try await pending.removeFirst().value
                if filled > 0 { start(piece + ahead) }
                hasher.update(buffers[piece % buffers.count].bytes(count: filled))
                hashed += UInt64(filled)
                if filled < pieceSize { break }
                piece += 1
            }
        } catch {
            // No buffer goes back while a read may still be filling it.
            for task in pending { task.cancel() }
            for task in pending { _ = try? await task.value }
            throw error
        }
        // Reads started past the end are awaited before their buffers go back.
        for task in pending { _ = try? await task.value }
        return FileDigest(digest: hasher.finalize(), size: hashed)
    }

    /// BLAKE3 over the subtrees of `subtreePlan`, read and hashed on all
    /// cores; the last bytes go through `update`, so that the root is
    /// computed where the input ends.
    private func blake3InPieces(_ handle: FileHandle, size: Int) async throws -> FileDigest {
        let plan = subtreePlan(size: size)
        let values = try await subtreeValues(plan, buffered: true) { subtree, buffer in
            let filled = try await buffer!.fill(from: handle, at: Int64(subtree.lowerBound), count: subtree.count)
            // The file shrank while it was read.
            guard filled == subtree.count else {
                throw FileSystemError(code: EIO, operation: "read", path: handle.path)
            }
            return buffer!.bytes(count: filled)
        }
        let hasher = StreamingHasher(.blake3)
        for (subtree, value) in zip(plan, values) {
            hasher.appendBLAKE3Subtree(value, chunks: subtree.count / BLAKE3.chunkLength)
        }
        let end = try await hashToEnd(handle, from: plan.last?.upperBound ?? 0, into: hasher)
        return FileDigest(digest: hasher.finalize(), size: UInt64(end))
    }
}

/// A file's digest and the number of bytes it covers.
public struct FileDigest: Sendable, Equatable {
    public var digest: [UInt8]
    public var size: UInt64

    public init(digest: [UInt8], size: UInt64) {
        self.digest = digest
        self.size = size
    }
}

/// One file's outcome: its digest, or why it could not be hashed.
public typealias DigestResult = Result<FileDigest, FileSystemError>

/// Memory for one piece of a file, read by one task at a time.
final class PieceBuffer: @unchecked Sendable {
    // @unchecked: the memory is used by one task at a time (a read fills it,
    // then the same task, or the one awaiting that read, hashes it).
    private let storage: UnsafeMutableRawBufferPointer

    private init(size: Int) {
        storage = .allocate(byteCount: size, alignment: 4096)
    }

    deinit { storage.deallocate() }

    /// Buffers given back, kept for the next file: a fresh 1 MiB buffer costs
    /// an mmap and 256 page faults, more than hashing a small file.
    private static let spare = Mutex<[PieceBuffer]>([])
    private static let spareLimit = 16

    /// A buffer of `size` bytes, reused when one is spare.
    static func take(size: Int) -> PieceBuffer {
        let reused: PieceBuffer? = spare.withLock { list in
            guard let index = list.firstIndex(where: { $0.storage.count == size }) else { return nil }
            return list.remove(at: index)
        }
        return reused ?? PieceBuffer(size: size)
    }

    /// Returns the buffer for reuse; the caller no longer touches it.
    func giveBack() {
        Self.spare.withLock { list in
            if list.count < Self.spareLimit { list.append(self) }
        }
    }

    func bytes(count: Int) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: storage[..<count]) }

    /// Reads from `offset` until `count` bytes (by default the whole buffer)
    /// are in or the file ends.
    func fill(from handle: FileHandle, at offset: Int64, count wanted: Int? = nil) async throws -> Int {
        let wanted = min(wanted ?? storage.count, storage.count)
        var filled = 0
        while filled < wanted {
            let count = try await handle.read(
                into: UnsafeMutableRawBufferPointer(rebasing: storage[filled..<wanted]),
                fromAbsoluteOffset: offset + Int64(filled))
            if count == 0 { break }
            filled += count
        }
        return filled
    }
}

/// Per-file results filled in from several threads: a batch's at once,
/// under one lock.
final class ResultSlots: Sendable {
    private let slots: Mutex<DigestTable>
    private let digestLength: Int
    private let finished: (@Sendable (Int, DigestResult) -> Void)?

    init(count: Int, digestLength: Int, finished: (@Sendable (Int, DigestResult) -> Void)?) {
        slots = Mutex(DigestTable(count: count, digestLength: digestLength))
        self.digestLength = digestLength
        self.finished = finished
    }

    /// Records a batch: `hashed` files' digests, one after another in
    /// `digests`, and the `failed` ones.
    func record(
        hashed: [(index: Int, size: UInt64)], digests: UnsafeRawBufferPointer,
        failed: [(index: Int, error: FileSystemError)]
    ) {
        slots.withLock { table in
            for (position, file) in hashed.enumerated() {
                table.set(file.index, digest: digest(position, in: digests), size: file.size)
            }
            for file in failed { table.set(file.index, error: file.error) }
        }
        guard let finished else { return }
        for (position, file) in hashed.enumerated() {
            finished(file.index, .success(FileDigest(digest: Array(digest(position, in: digests)), size: file.size)))
        }
        for file in failed { finished(file.index, .failure(file.error)) }
    }

    private func digest(_ position: Int, in digests: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: digests[position * digestLength..<(position + 1) * digestLength])
    }

    func set(_ index: Int, _ result: DigestResult) {
        slots.withLock { $0.set(index, result) }
        finished?(index, result)
    }

    /// Indexes with no result yet.
    func missing() -> [Int] { slots.withLock { table in (0..<table.count).filter { !table.isKnown($0) } } }

    func table() -> DigestTable { slots.withLock { $0 } }
}
