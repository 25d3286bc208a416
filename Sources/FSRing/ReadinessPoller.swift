internal import CURing
import Synchronization
import URing

#if canImport(Glibc)
    import Glibc
#endif

/// Waits for pipes, sockets and terminals to become readable or writable, so
/// the POSIX backend never parks a pool thread in a read that may never
/// return. One thread runs poll(2) over every waiting descriptor plus an
/// eventfd that wakes it when the set changes or a wait is cancelled.
final class ReadinessPoller: Sendable {
    private struct Waiter {
        let descriptor: Int32
        let events: Int16
        let token: CancellationToken
        let continuation: UnsafeContinuation<Bool, Never>
    }
    private let waiters = Mutex<[Waiter]>([])
    private let wakeDescriptor: Int32

    init() throws {
        wakeDescriptor = fsr_eventfd_cloexec()
        if wakeDescriptor < 0 { throw FileSystemError(code: errno, operation: "eventfd") }
        _ = try PersistentThread.spawn(name: "fsring-poller") { [self] in loop() }
    }

    /// Returns true once `descriptor` is ready for `events` (POLLIN/POLLOUT),
    /// false if the task was cancelled first.
    func wait(for descriptor: Int32, events: Int16) async -> Bool {
        let token = CancellationToken()
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                waiters.withLock {
                    $0.append(Waiter(descriptor: descriptor, events: events, token: token, continuation: continuation))
                }
                wake()
            }
        } onCancel: {
            token.cancel()
            wake()
        }
    }

    private func wake() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeDescriptor, &one, 8)
    }

    private func loop() {
        var polled: [pollfd] = []
        while true {
            // Resolve cancelled waits first, then poll the rest.
            let current: [Waiter] = waiters.withLock { list in
                // One pass: a token may turn cancelled at any moment, so the
                // waiter removed must be the waiter resumed.
                list.removeAll { waiter in
                    guard waiter.token.isCancelled else { return false }
                    waiter.continuation.resume(returning: false)
                    return true
                }
                return list
            }
            polled.removeAll(keepingCapacity: true)
            polled.append(pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0))
            for waiter in current { polled.append(pollfd(fd: waiter.descriptor, events: waiter.events, revents: 0)) }
            let status = poll(&polled, nfds_t(polled.count), -1)
            if status < 0 { continue }
            if polled[0].revents != 0 {
                var value: UInt64 = 0
                _ = Glibc.read(wakeDescriptor, &value, 8)
            }
            var ready: [Int32: Int16] = [:]
            for entry in polled.dropFirst() where entry.revents != 0 { ready[entry.fd, default: 0] |= entry.revents }
            if ready.isEmpty { continue }
            waiters.withLock { list in
                list.removeAll { waiter in
                    guard ready[waiter.descriptor] != nil else { return false }
                    waiter.continuation.resume(returning: true)
                    return true
                }
            }
        }
    }
}
