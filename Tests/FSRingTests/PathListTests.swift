import FSRing
import Glibc
import SystemPackage
import Testing

@Suite("Path lists")
struct PathListTests {
    /// Paths given as bytes, as FilePaths and as other lists come back
    /// byte for byte, names that are not UTF-8 included.
    @Test func pathsRoundTripByteForByte() {
        let raw: [[UInt8]] = [[0x61, 0x2F, 0x62], [0xFF, 0xFE, 0x2F, 0x78], [0x2F], [0x63]]
        var list = PathList()
        raw[0].withUnsafeBytes { list.append(bytes: $0) }
        list.append(FilePath(platformString: raw[1].map { CChar(bitPattern: $0) } + [0]))
        var other = PathList()
        for name in raw[2...] { name.withUnsafeBytes { other.append(bytes: $0) } }
        list.append(contentsOf: other)
        #expect(list.count == 4)
        for (index, bytes) in raw.enumerated() {
            #expect(list.withBytes(of: index) { Array($0) } == bytes, "path \(index)")
            #expect(pathBytes(list[index]) == bytes, "path \(index) as a FilePath")
        }
        #expect(PathList([]).isEmpty)
    }

    /// Sorted by raw bytes, as `LC_ALL=C sort` orders them: a prefix first,
    /// bytes compared as unsigned.
    @Test func byteOrderIsCSortOrder() {
        let raw: [[UInt8]] = [[0x62], [0x61, 0x2F, 0x62], [0xFF, 0x61], [0x61], [0x41, 0x7A], [0x61, 0x2D]]
        let list = PathList(raw.map { FilePath(platformString: $0.map { CChar(bitPattern: $0) } + [0]) })
        let sorted = list.byteOrder().map { raw[$0] }
        #expect(sorted == [[0x41, 0x7A], [0x61], [0x61, 0x2D], [0x61, 0x2F, 0x62], [0x62], [0xFF, 0x61]])
        #expect(PathList().byteOrder().isEmpty)
    }
}
