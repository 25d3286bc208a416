import FSRing
import FSRingHash
import Glibc
import SystemPackage
import Testing

let hashBackends: [Backend] = [.uring, .posix]

/// A fresh directory under /tmp, removed at the end.
final class ScratchDirectory: Sendable {
    let path: String

    init(_ label: String) {
        var template = Array("/tmp/fsring-hash-\(label)-XXXXXX".utf8CString)
        _ = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit { _ = try? shell("chmod -R u+rwx '\(path)'; rm -rf '\(path)'") }
}

/// Writes `bytes` at a path given as raw bytes (names need not be UTF-8).
func writeFile(_ path: [UInt8], _ bytes: [UInt8], mode: mode_t = 0o644) {
    let descriptor = (path.map { CChar(bitPattern: $0) } + [0]).withUnsafeBufferPointer {
        open($0.baseAddress!, O_WRONLY | O_CREAT | O_TRUNC, mode)
    }
    precondition(descriptor >= 0, "open failed: \(errno)")
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
        precondition(written > 0)
        offset += written
    }
    close(descriptor)
}

struct ShellResult {
    var status: Int32
    var output: [UInt8]
    var text: String { String(decoding: output, as: UTF8.self) }
}

struct ShellFailure: Error {}

/// Runs `/bin/sh -c command` and captures stdout (stderr folded in when asked).
func shell(_ command: String, standardError: Bool = false) throws -> ShellResult {
    guard let pipe = popen(standardError ? "(\(command)) 2>&1" : command, "r") else { throw ShellFailure() }
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = fread(&buffer, 1, buffer.count, pipe)
        if count == 0 { break }
        output += buffer[..<count]
    }
    let status = pclose(pipe)
    return ShellResult(status: (status >> 8) & 0xff, output: output)
}

/// The built `fsring` executable, next to the test bundle.
var fsringExecutable: String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    let executable = String(decoding: buffer[..<max(0, length)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return String(executable[..<executable.lastIndex(of: "/")!]) + "/fsring"
}

/// A tree with every size the engine treats differently and names of every kind.
/// b3sum 1.2 cannot write or read names that are not UTF-8, nor escape carriage
/// returns: a tree meant for it leaves those out (`forB3sum`).
func makeHashTree(_ root: String, forB3sum: Bool = false) -> [[UInt8]] {
    let sizes = [
        0, 1, 63, 64, 65, 1023, 1024, 1025, 2048, 16 * 1024, 64 * 1024 - 1, 64 * 1024, 128 * 1024,
        128 * 1024 + 1, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, (2 << 20) + 1, (3 << 20) + 5,
    ]
    _ = try? shell("mkdir -p '\(root)/sub/deeper' '\(root)/.hidden'")
    var names: [[UInt8]] = []
    for (index, size) in sizes.enumerated() {
        let name = Array("\(root)/\(index % 3 == 0 ? "sub/" : index % 3 == 1 ? "sub/deeper/" : "")size-\(size)".utf8)
        var state = UInt64(index + 1) &* 0x9E37_79B9_7F4A_7C15
        let bytes = (0..<size).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        writeFile(name, bytes)
        names.append(name)
    }
    var special: [[UInt8]] = [
        Array("héllo wörld".utf8), Array("日本語.txt".utf8), Array("with\nnewline".utf8), Array("back\\slash".utf8),
        Array(".hidden/dotfile".utf8),
    ]
    if !forB3sum {
        special.append(Array("carriage\rreturn".utf8))
        special.append([0x6C, 0x61, 0x74, 0x69, 0x6E, 0xE9])  // "latin" + a Latin-1 byte
    }
    for name in special {
        let path = Array("\(root)/".utf8) + name
        writeFile(path, name + name)
        names.append(path)
    }
    return names
}
