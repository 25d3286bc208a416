import CStandardStreams
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Bytes for stdout or stderr, written with write(2) in large pieces. Paths
/// are bytes and go out unchanged, whether or not they are UTF-8.
///
/// A write to standard output that fails (a full disk, a closed descriptor,
/// a pipe whose reader left while SIGPIPE is ignored) is remembered, and the
/// command ends with a write error instead of success (see
/// `FSRingCommand.finish`): output lost must not pass for output written.
final class RawOutput {
    private let descriptor: Int32
    private var pending: [UInt8] = []

    /// The errno of the first failed write to standard output; 0 if none.
    static let standardOutputError = Atomic<Int32>(0)

    /// Standard output was closed when the process began: what is written to
    /// it would have gone to whatever file took its number, and goes nowhere.
    private static let standardOutputWasClosed = fsr_standard_streams_closed_at_start() & 1 << 1 != 0

    init(descriptor: Int32) {
        self.descriptor = descriptor
        pending.reserveCapacity(1 << 16)
    }

    func write(_ bytes: [UInt8]) {
        guard bytes.count < 1 << 16 else {
            // Large enough to go out as it is, after what waits.
            flush()
            bytes.withUnsafeBytes { writeAll($0) }
            return
        }
        pending += bytes
        if pending.count >= 1 << 16 { flush() }
    }

    func write(_ text: String) { write(Array(text.utf8)) }

    /// Lets `append` add its bytes to the pending ones, with no array of its own.
    func write(_ append: (inout [UInt8]) -> Void) {
        append(&pending)
        if pending.count >= 1 << 16 { flush() }
    }

    func flush() {
        pending.withUnsafeBytes { writeAll($0) }
        pending.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        if descriptor == 1 && Self.standardOutputWasClosed {
            failed(EBADF)
            return
        }
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written <= 0 {
                if written < 0 && errno == EINTR { continue }
                failed(written < 0 ? errno : EIO)
                return
            }
            offset += written
        }
    }

    /// Remembers the first failure on standard output (standard error's
    /// failures have nowhere to be told).
    private func failed(_ code: Int32) {
        guard descriptor == 1 else { return }
        _ = Self.standardOutputError.compareExchange(expected: 0, desired: code, ordering: .relaxed)
    }
}
