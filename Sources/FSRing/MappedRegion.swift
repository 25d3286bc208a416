internal import CMappedFile
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Part of a file mapped read-only into memory: its bytes are read in place,
/// with no copy into a buffer. Made by `FileHandle.withMappedRegion`, valid
/// only inside its body.
///
/// If the file shrinks while it is mapped, the bytes it lost read as zeros
/// (instead of the SIGBUS that would end the process) and
/// `withMappedRegion` throws once its body returns.
public final class MappedRegion: @unchecked Sendable {
    // @unchecked: the memory is read-only and stays mapped until
    // `withMappedRegion` returns, which is after its body and every child
    // task the body started have finished; nothing writes through it.
    private let base: UnsafeRawPointer
    /// Where the region starts in the file.
    public let offset: Int64
    /// Its length in bytes.
    public let count: Int

    fileprivate init(base: UnsafeRawPointer, offset: Int64, count: Int) {
        self.base = base
        self.offset = offset
        self.count = count
    }

    /// Maps the pages of `range` ahead of reading them (one read per 64 KiB,
    /// each fault mapping a whole window), so that the thread that reads
    /// them takes no faults; a task can do it for the next piece while the
    /// current one is read.
    public func prefault(_ range: Range<Int>) {
        guard let bytes = checked(range) else { return }
        fsr_map_prefault(bytes.baseAddress!, bytes.count)
    }

    /// Unmaps the pages of `range`, read and no longer needed, while work
    /// goes on elsewhere: the unmap at the end then has little left to do.
    /// The file's pages stay cached; reading `range` again maps them again.
    public func release(_ range: Range<Int>) {
        guard let bytes = checked(range) else { return }
        fsr_map_release(bytes.baseAddress!, bytes.count)
    }

    private func checked(_ range: Range<Int>) -> UnsafeRawBufferPointer? {
        range.isEmpty ? nil : bytes(range)
    }

    /// The bytes of `range`, counted from the region's start.
    public func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "outside the mapped region")
        return UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count)
    }
}

extension FileHandle {
    /// The page size; a region's offset must be a multiple of it.
    public static let mappingAlignment = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Maps `count` bytes from `offset` (a multiple of `mappingAlignment`)
    /// and runs `body` on them. Throws the mmap error (EBUSY when too many
    /// regions are mapped at once: read instead), or EIO with this file's
    /// path if the file ended inside the region while `body` ran.
    public func withMappedRegion<Result>(
        offset: Int64, count: Int, _ body: (MappedRegion) async throws -> Result
    ) async throws -> Result {
        guard offset >= 0, count > 0, offset % Int64(Self.mappingAlignment) == 0 else {
            throw FileSystemError(code: EINVAL, operation: "mmap", path: path)
        }
        var slot: Int32 = 0
        guard let base = fsr_map_guarded(descriptor, off_t(offset), count, &slot) else {
            throw FileSystemError(code: errno, operation: "mmap", path: path)
        }
        let region = MappedRegion(base: base, offset: offset, count: count)
        let result: Result
        do {
            result = try await body(region)
        } catch {
            _ = fsr_unmap_guarded(base, count, slot)
            throw error
        }
        if fsr_unmap_guarded(base, count, slot) != 0 {
            throw FileSystemError(code: EIO, operation: "read", path: path)
        }
        return result
    }
}
