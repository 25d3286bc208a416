internal import CURing
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A buffer registered with one ring (`io_uring_register_buffers`), lent to
/// one task at a time. The kernel pins registered memory once, so
/// `readFixed`/`writeFixed` skip the per-operation page mapping.
public struct RegisteredBuffer: @unchecked Sendable {
    // @unchecked: the pointer is owned by the pool for the ring's lifetime and
    // lent to exactly one holder at a time (see RegisteredBufferPool).
    public let index: Int
    public let base: UnsafeMutableRawPointer
    public let size: Int

    /// The buffer's memory, for filling and reading around fixed operations.
    public var bytes: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: base, count: size) }
}

/// Fixed-size buffers registered with a ring, and who holds which.
///
/// Lending may happen on any thread (a Mutex guards the free list); the
/// memory itself stays allocated until the ring is closed, after every
/// operation that could use it has completed.
final class RegisteredBufferPool: Sendable {
    private struct State {
        var free: [Int]
        var waiters: [UnsafeContinuation<Int, Never>] = []
    }
    let size: Int
    private let count: Int
    // Sendable wrapper for the base address: memory is never freed while a
    // lease exists (the ring outlives its tasks' leases).
    private let baseAddress: UInt
    private let state: Mutex<State>

    init(count: Int, size: Int) {
        self.count = count
        self.size = size
        let memory = UnsafeMutableRawPointer.allocate(byteCount: count * size, alignment: 4096)
        baseAddress = UInt(bitPattern: memory)
        state = Mutex(State(free: Array((0..<count).reversed())))
    }

    private func base(_ index: Int) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(bitPattern: baseAddress)! + index * size
    }

    func register(with ring: UnsafeMutablePointer<io_uring>) -> Int32 {
        let vectors = (0..<count).map { iovec(iov_base: base($0), iov_len: size) }
        return vectors.withUnsafeBufferPointer { io_uring_register_buffers(ring, $0.baseAddress, UInt32(count)) }
    }

    func deallocate() {
        UnsafeMutableRawPointer(bitPattern: baseAddress)!.deallocate()
    }

    func lease() async -> RegisteredBuffer {
        let taken: Int? = state.withLock { $0.free.popLast() }
        let index: Int
        if let taken {
            index = taken
        } else {
            index = await withUnsafeContinuation { continuation in
                let immediate: Int? = state.withLock { state in
                    if let free = state.free.popLast() { return free }
                    state.waiters.append(continuation)
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        }
        return RegisteredBuffer(index: index, base: base(index), size: size)
    }

    func giveBack(_ buffer: RegisteredBuffer) {
        let waiter: UnsafeContinuation<Int, Never>? = state.withLock { state in
            if state.waiters.isEmpty {
                state.free.append(buffer.index)
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.resume(returning: buffer.index)
    }
}
