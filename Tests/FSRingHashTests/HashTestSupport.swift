import FSRing
import FSRingHash
import FSRingTestSupport
import Glibc
import SystemPackage
import Testing

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
