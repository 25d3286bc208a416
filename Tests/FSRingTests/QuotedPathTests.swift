import FSRing
import FSRingTestSupport
import Testing

@Suite("Paths quoted for messages")
struct QuotedPathTests {
    func quoted(_ bytes: [UInt8]) -> String { String(decoding: QuotedPath.bytes(bytes), as: UTF8.self) }

    /// The forms cp -v prints (checked against cp itself in the copy
    /// command's tests, which compare whole listings).
    @Test func formsAreCoreutils() {
        #expect(quoted(Array("plain".utf8)) == "'plain'")
        #expect(quoted([]) == "''")
        #expect(quoted(Array("a b".utf8)) == "'a b'")
        #expect(quoted(Array("it's".utf8)) == "\"it's\"")
        #expect(quoted(Array("it's!".utf8)) == "'it'\\''s!'")
        #expect(quoted(Array("bad".utf8) + [0xFF]) == "'bad'$'\\377'")
        #expect(quoted(Array("a\nb".utf8)) == "'a'$'\\n''b'")
        #expect(quoted([0x78, 0xFF, 0xFE, 0x79]) == "'x'$'\\377\\376''y'")
        #expect(quoted(Array("é日本".utf8)) == "'é日本'")
        // A single quote and escapes at the end: cp's stray `''` after the opening quote.
        #expect(quoted(Array("it's".utf8) + [0xFF]) == "'''it'\\''s'$'\\377'")
        #expect(quoted(Array("it's".utf8) + [0xFF, 0x78]) == "'it'\\''s'$'\\377''x'")
        // U+0085 (a control) and U+2028 (a line separator) are escaped.
        #expect(quoted([0xC2, 0x85, 0x78]) == "''$'\\302\\205''x'")
        #expect(quoted([0xE2, 0x80, 0xA8]) == "''$'\\342\\200\\250'")
        // A surrogate's encoding and a cut-off sequence are not UTF-8.
        #expect(quoted([0xED, 0xA0, 0x80]) == "''$'\\355\\240\\200'")
        #expect(quoted([0x61, 0xE2, 0x80]) == "'a'$'\\342\\200'")
    }

    /// Whatever the bytes, bash reads the quoted form back as exactly them:
    /// the message names the path, not something like it.
    @Test func bashReadsBackTheBytes() throws {
        var generator = SplitMix64(seed: 0x5EED_F00D)
        var names: [[UInt8]] = [
            Array("it's".utf8), Array("it's".utf8) + [0xFF], [0xFF, 0x27, 0x78], Array("a'b'c".utf8),
            Array("$'x'".utf8), Array("\\".utf8), Array("\"".utf8), Array("!#$&()*;<=>?[]^`{|}~".utf8),
            [0x1B, 0x5B, 0x33, 0x31, 0x6D], Array(1...0x7F), Array(0x80...0xFF),
        ]
        for _ in 0..<300 {
            let length = Int(generator.next() % 12) + 1
            // Bytes 1...255, weighted towards the ones quoting treats specially.
            let pool: [UInt8] = [0x27, 0x22, 0x5C, 0x24, 0x0A, 0x09, 0xFF, 0xC3, 0xA9, 0xE2, 0x80, 0x20]
            names.append(
                (0..<length).map { _ in
                    generator.next() % 2 == 0
                        ? pool[Int(generator.next() % UInt64(pool.count))] : UInt8(generator.next() % 255 + 1)
                })
        }
        let script = "printf '%s\\0' " + names.map(quoted).joined(separator: " ")
        let result = try runProcess(["/bin/bash", "-c", script])
        #expect(result.status == 0)
        let readBack = result.standardOutput.split(separator: 0, omittingEmptySubsequences: false).dropLast().map(
            Array.init)
        #expect(readBack.count == names.count)
        for (name, back) in zip(names, readBack) where name != back {
            Issue.record("\(name) came back as \(back) from \(quoted(name))")
        }
    }
}

/// A small seeded generator, so a failure reproduces.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
