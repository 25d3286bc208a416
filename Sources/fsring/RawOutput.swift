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
        var offset = 0
        while offset < pending.count {
            let written = pending.withUnsafeBytes {
                Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset)
            }
            if written <= 0 {
                if written < 0 && errno == EINTR { continue }
                break  // a closed pipe: nothing more can be said
            }
            offset += written
        }
        pending.removeAll(keepingCapacity: true)
    }
}

/// Command-line arguments as the kernel passed them. ArgumentParser sees
/// them as Strings, which replaces bytes that are not UTF-8; a path given on
/// the command line is looked up here to recover its bytes.
enum RawArguments {
    static func bytes(of argument: String) -> [UInt8] {
        for index in 1..<Int(CommandLine.argc) {
            guard let pointer = CommandLine.unsafeArgv[index] else { continue }
            let raw = Array(UnsafeBufferPointer(start: pointer, count: strlen(pointer))).map { UInt8(bitPattern: $0) }
            if String(decoding: raw, as: UTF8.self) == argument { return raw }
        }
        return Array(argument.utf8)
    }
}
