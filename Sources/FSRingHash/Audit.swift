/// Differences between a manifest (a checksum list) and a tree hashed now.
public struct AuditReport: Sendable, Equatable {
    public var changed: [[UInt8]] = []
    public var missing: [[UInt8]] = []
    public var new: [[UInt8]] = []
    /// Same content under another name: (name in the manifest, name now).
    public var moved: [(from: [UInt8], to: [UInt8])] = []

    public var isClean: Bool { changed.isEmpty && missing.isEmpty && new.isEmpty && moved.isEmpty }

    public static func == (left: AuditReport, right: AuditReport) -> Bool {
        left.changed == right.changed && left.missing == right.missing && left.new == right.new
            && left.moved.map(\.from) == right.moved.map(\.from) && left.moved.map(\.to) == right.moved.map(\.to)
    }

    /// Compares name -> digest maps. A missing name whose digest turns up
    /// under a new name is reported once, as moved. Names are compared
    /// without a leading `./`: `fsring hash src > list` writes `src/a`, and
    /// auditing the current directory (the default) walks `./src/a`.
    /// Each side's names are reported as that side wrote them.
    public init(manifest: [(name: [UInt8], digest: [UInt8])], current: [(name: [UInt8], digest: [UInt8])]) {
        func byName(_ entries: [(name: [UInt8], digest: [UInt8])]) -> [ByteKey: (name: [UInt8], digest: [UInt8])] {
            var table: [ByteKey: (name: [UInt8], digest: [UInt8])] = [:]
            table.reserveCapacity(entries.count)
            for entry in entries { table[ByteKey(Self.withoutDotSlash(entry.name))] = entry }
            return table
        }
        let expected = byName(manifest)
        let found = byName(current)

        var missing: [ByteKey] = []
        var new: [ByteKey] = []
        for (name, listed) in expected {
            if let now = found[name] {
                if now.digest != listed.digest { changed.append(now.name) }
            } else {
                missing.append(name)
            }
        }
        for name in found.keys where expected[name] == nil { new.append(name) }

        // Pair missing and new files with the same content, in name order.
        var newByDigest: [ByteKey: [ByteKey]] = [:]
        for name in new.sorted() { newByDigest[ByteKey(found[name]!.digest), default: []].append(name) }
        var movedTo = Set<ByteKey>()
        for name in missing.sorted() {
            let listed = expected[name]!
            if var candidates = newByDigest[ByteKey(listed.digest)], !candidates.isEmpty {
                let target = candidates.removeFirst()
                newByDigest[ByteKey(listed.digest)] = candidates
                moved.append((listed.name, found[target]!.name))
                movedTo.insert(target)
            } else {
                self.missing.append(listed.name)
            }
        }
        self.new = new.filter { !movedTo.contains($0) }.map { found[$0]!.name }
        let order: ([UInt8], [UInt8]) -> Bool = { $0.lexicographicallyPrecedes($1) }
        changed.sort(by: order)
        self.missing.sort(by: order)
        self.new.sort(by: order)
    }

    /// `name` without the `./` it may start with (once or more).
    static func withoutDotSlash(_ name: [UInt8]) -> [UInt8] {
        var start = 0
        while name.count - start > 2 && name[start] == UInt8(ascii: ".") && name[start + 1] == UInt8(ascii: "/") {
            start += 2
            while start < name.count - 1 && name[start] == UInt8(ascii: "/") { start += 1 }
        }
        return Array(name[start...])
    }
}
