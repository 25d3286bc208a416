import CBLAKE3
import FSRingHash
import FSRingTestSupport
import Glibc
import Testing

/// The official vectors, from fixtures/blake3/test_vectors.txt (source named there).
let blake3Vectors: [(length: Int, output: [UInt8])] = {
    var path = #filePath
    for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
    let text = readTextFile(path + "/fixtures/blake3/test_vectors.txt")
    return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
        let fields = line.split(separator: " ")
        return (Int(fields[0])!, hexBytes(String(fields[1])))
    }
}()

func hexBytes(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
        let next = text.index(index, offsetBy: 2)
        bytes.append(UInt8(text[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}

func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
}

func readTextFile(_ path: String) -> String {
    guard let file = fopen(path, "rb") else { return "" }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        if count == 0 { break }
        bytes += buffer[..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}

func vectorInput(_ length: Int) -> [UInt8] { (0..<length).map { UInt8($0 % 251) } }

/// Runs `body` with the bytes of every array at once.
func withBuffers<Result>(_ arrays: [[UInt8]], _ body: ([UnsafeRawBufferPointer]) -> Result) -> Result {
    func nest(_ index: Int, _ buffers: [UnsafeRawBufferPointer]) -> Result {
        guard index < arrays.count else { return body(buffers) }
        return arrays[index].withUnsafeBytes { nest(index + 1, buffers + [$0]) }
    }
    return nest(0, [])
}

/// Every kernel this CPU has: 0 portable, 1 sse4.1, 2 avx2, 3 avx512.
let availableKernels: [Int32] = (0...3).filter { level in
    let restore = BLAKE3.implementation
    defer { restoreKernel(restore) }
    return fsr_blake3_force_implementation(level) == 0
}

/// The kernel chosen for this CPU, put back after each test that forces one.
let defaultKernel = BLAKE3.implementation

/// Forces kernel `level`; a kernel this CPU lacks fails the test with the reason.
func useKernel(_ level: Int32) throws {
    _ = defaultKernel  // read (it is lazy) before any kernel is forced
    try #require(availableKernels.contains(level), "this CPU lacks kernel \(level)")
    #expect(fsr_blake3_force_implementation(level) == 0)
}

func restoreKernel(_ name: String) {
    let level: Int32 = ["portable": 0, "sse4.1": 1, "avx2": 2, "avx512": 3][name] ?? 0
    _ = fsr_blake3_force_implementation(level)
}

@Suite("BLAKE3", .serialized)
struct BLAKE3Tests {
    @Test func officialVectorsAreAllPresent() {
        #expect(blake3Vectors.count == 22)
        #expect(blake3Vectors.allSatisfy { $0.output.count == 131 })
    }

    @Test(arguments: [0, 1, 2, 3] as [Int32])
    func officialVectorsOnEveryKernel(level: Int32) throws {
        try useKernel(level)
        defer { restoreKernel(defaultKernel) }
        for vector in blake3Vectors {
            let input = vectorInput(vector.length)
            var hasher = BLAKE3()
            hasher.update(input)
            #expect(hasher.finalize(length: 131) == vector.output, "length \(vector.length)")
            #expect(hasher.finalize() == Array(vector.output.prefix(32)), "length \(vector.length)")

            // The same input fed in uneven pieces.
            var pieces = BLAKE3()
            var offset = 0
            var step = 1
            while offset < input.count {
                let end = min(input.count, offset + step)
                pieces.update(Array(input[offset..<end]))
                offset = end
                step = step * 3 + 7
            }
            #expect(pieces.finalize() == Array(vector.output.prefix(32)), "pieces, length \(vector.length)")
        }
    }

    /// Many inputs hashed together (their chunks side by side in the SIMD
    /// lanes) give each input's own digest: the official vectors' inputs,
    /// in one call, on every kernel (lengths 0 to 102,400 bytes);
    /// and a full batch of 64 inputs of various lengths.
    @Test(arguments: [0, 1, 2, 3] as [Int32])
    func inputsHashedTogetherGiveTheirOwnDigests(level: Int32) throws {
        try useKernel(level)
        defer { restoreKernel(defaultKernel) }
        let inputs = blake3Vectors.map { vectorInput($0.length) }
        let digests = withBuffers(inputs) { BLAKE3.digests(of: $0) }
        for (vector, digest) in zip(blake3Vectors, digests) {
            #expect(digest == Array(vector.output.prefix(32)), "length \(vector.length)")
        }
        // 64 inputs of up to 20 KiB, as many as one batch of the reader.
        let many = (0..<64).map { randomBytes(($0 * 7919) % 20_000, seed: UInt64($0)) }
        let together = withBuffers(many) { BLAKE3.digests(of: $0) }
        for (input, digest) in zip(many, together) {
            var alone = BLAKE3()
            alone.update(input)
            #expect(digest == alone.finalize(), "length \(input.count)")
        }
        #expect(BLAKE3.digests(of: []).isEmpty)
    }

    /// The kernel picked by default is the widest the CPU offers, as the
    /// kernel itself reports the CPU's flags (an independent reading of
    /// `cpuid`; the choice comes from glibc's).
    @Test func defaultKernelIsTheWidestTheCPUHas() throws {
        let cpuinfo = readTextFile("/proc/cpuinfo")
        let flagsLine = try #require(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") })
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        let expected =
            flags.isSuperset(of: ["avx512f", "avx512vl"])
            ? "avx512" : flags.contains("avx2") ? "avx2" : flags.contains("sse4_1") ? "sse4.1" : "portable"
        #expect(defaultKernel == expected)
    }

    @Test func subtreesHashedApartGiveTheSameDigest() {
        // 3 MiB + 5 bytes: three 1 MiB subtrees, then the rest through update.
        let input = (0..<(3 << 20) + 5).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
        var whole = BLAKE3()
        whole.update(input)
        var split = BLAKE3()
        let piece = 1 << 20
        input.withUnsafeBytes { bytes in
            for start in stride(from: 0, to: 3 * piece, by: piece) {
                let value = BLAKE3.subtreeValue(
                    UnsafeRawBufferPointer(rebasing: bytes[start..<start + piece]),
                    chunkIndex: start / BLAKE3.chunkLength)
                split.append(subtree: value, chunks: piece / BLAKE3.chunkLength)
            }
            split.update(UnsafeRawBufferPointer(rebasing: bytes[(3 * piece)...]))
        }
        #expect(split.finalize() == whole.finalize())
    }

    @Test func agreesWithB3sumOnRandomFiles() throws {
        for size in [0, 1, 64, 1023, 1024, 1025, 65536, 1 << 20, (1 << 20) + 12345] {
            var generator = SystemRandomNumberGenerator()
            let bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let path = "/tmp/fsring-b3-\(getpid())-\(size)"
            let file = fopen(path, "wb")!
            _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, size, file) }
            fclose(file)
            defer { unlink(path) }
            let pipe = popen("b3sum --no-names '\(path)'", "r")!
            var line = [CChar](repeating: 0, count: 256)
            _ = fgets(&line, 256, pipe)
            pclose(pipe)
            let expected = String(decoding: line.prefix(64).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            var hasher = BLAKE3()
            hasher.update(bytes)
            #expect(hex(hasher.finalize()) == expected, "size \(size)")
        }
    }
}
