#if canImport(Glibc)
    import Glibc
#endif

/// Bytes for stdout or stderr, written with write(2) in large pieces. Paths
/// are bytes and go out unchanged, whether or not they are UTF-8.
final class RawOutput {
    private let descriptor: Int32
    private var pending: [UInt8] = []

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
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written <= 0 {
                if written < 0 && errno == EINTR { continue }
                break  // a closed pipe: nothing more can be said
            }
            offset += written
        }
    }
}
