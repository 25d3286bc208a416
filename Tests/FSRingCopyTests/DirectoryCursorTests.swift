import FSRing
import FSRingTestSupport
import Glibc
import SystemPackage
import Testing

@testable import FSRingCopy

@Suite("Directory cursor (reaching directories from one another)")
struct DirectoryCursorTests {
    /// A trunk deep enough for the cursor to be used, ending in a tree whose
    /// branches all have the same names: a relative step that went wrong
    /// would land in a directory that exists, not fail and fall back.
    func makeTree(in directory: TemporaryDirectory) throws -> (trunk: String, all: [String]) {
        let trunk = "t" + String(repeating: "/t", count: 19)
        var all: [String] = []
        for first in ["a", "b"] {
            all.append("\(trunk)/\(first)")
            for second in ["a", "b"] {
                all.append("\(trunk)/\(first)/\(second)")
                for third in ["a", "b"] { all.append("\(trunk)/\(first)/\(second)/\(third)") }
            }
        }
        try runScript("cd '\(directory.path.string)' && mkdir -p " + all.joined(separator: " "))
        return (trunk, all)
    }

    /// The directory and name a cursor gives for `target`, as an identity.
    func identity(through cursor: DirectoryCursor, of target: FilePath) throws -> FileIdentity? {
        try cursor.withParent(of: target) { directory, name in
            FileInfo.blockingLookup(directory, name, followLinks: false)?.identity
        }
    }

    @Test(arguments: [true, false])
    func everyTargetIsReachedThroughItsOwnParent(climbs: Bool) throws {
        let directory = TemporaryDirectory("cursor")
        let (trunk, all) = try makeTree(in: directory)
        let cursor = DirectoryCursor(top: directory("t"), climbs: climbs)
        // Deepest first, then across branches, up several levels, down
        // again, siblings, and the trunk's own levels.
        let order = all.reversed() + all + ["\(trunk)", "t/t/t", "\(trunk)/b/b/a", "\(trunk)/a/a/b", "t"]
        for target in order {
            let path = directory(target)
            let expected = path.withPlatformString { FileInfo.blockingLookup(AT_FDCWD, $0, followLinks: false) }
            let found = try identity(through: cursor, of: path)
            #expect(found != nil && found == expected?.identity, "\(target)")
        }
    }
}
