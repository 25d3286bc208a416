import FSRing
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Reaches the directories whose metadata is set at the end of a copy from
/// the one reached before. The next is usually close by in the tree (a
/// sibling has the same parent, a parent's parent is one step up), so its
/// parent is opened by a short path relative to the last one (`..` up,
/// names down) instead of by its whole path: walking whole paths made the
/// finishing quadratic in the tree's depth (a chain of 3,000 directories
/// took 1.26 s, nearly all of it in path lookups).
///
/// `..` leads where the path says only inside the copied tree, where each
/// directory is one the copy made, or, in the source, one it listed
/// without following a link. So the cursor climbs only below the tree's
/// top, and not at all where links were followed (`-L`); a directory it
/// may not climb to is opened by its whole path, as before.
final class DirectoryCursor {
    /// The top of the tree, the highest directory `..` may lead to (paths
    /// here are `PathBytes`).
    private let top: [UInt8]
    private let climbs: Bool
    /// The path of the directory open (O_PATH) at `descriptor`, when there is one.
    private var current: [UInt8]?
    private var descriptor: Int32 = -1

    private static let slash = PathBytes.slash
    /// Components from which a path is reached through the cursor. Above
    /// it, walking the whole path in each call costs less than opening the
    /// parent and closing it again: the Linux tree's 5,096 directories (at
    /// most 10 below the top) took 32-33 ms by whole paths and 38-47 ms
    /// with every parent opened.
    private static let deep = 16

    init(top: FilePath, climbs: Bool) {
        self.top = top.rawBytes
        self.climbs = climbs
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    /// Calls `body` with the parent of `target`, open, and its last
    /// component; by whole path (see `LongPaths.withParent`) when the
    /// parent cannot be opened this way.
    func withParent<Result>(
        of target: FilePath, _ body: (Int32, UnsafePointer<CChar>) throws(EntryError) -> Result
    ) throws(EntryError) -> Result {
        let path = target.rawBytes
        guard path.count(where: { $0 == Self.slash }) >= Self.deep, let (parent, name) = PathBytes.split(path),
            reach(parent)
        else {
            return try LongPaths.withParent(of: target, body)
        }
        return try RawName(name).withCString { (name) throws(EntryError) in try body(descriptor, name) }
    }

    /// Opens the directory at `wanted` and keeps it open; false when it cannot be opened.
    private func reach(_ wanted: [UInt8]) -> Bool {
        // A relative path cannot lead to an absolute one, nor the other way.
        if let current, descriptor >= 0, (current.first == Self.slash) == (wanted.first == Self.slash) {
            if current == wanted { return true }
            let shared = Self.sharedDirectory(current, wanted)
            let ups = Self.componentCount(current[shared...])
            let downs = wanted[shared...].drop { $0 == Self.slash }
            // Every directory left by `..` lies strictly below the top.
            let mayClimb =
                ups == 0 || (climbs && Self.sharedDirectory(top, wanted) == top.count && shared >= top.count)
            if mayClimb && 3 * ups + downs.count < wanted.count {
                var relative: [UInt8] = []
                for _ in 0..<ups { relative += Array("../".utf8) }
                relative += downs
                if relative.last == Self.slash { relative.removeLast() }
                if open(relative, from: descriptor, at: wanted) { return true }
            }
        }
        return open(wanted, from: AT_FDCWD, at: wanted)
    }

    /// How many bytes of `first` and `second` name the directory both lie
    /// in (or are): their common start, cut back to whole components.
    private static func sharedDirectory(_ first: [UInt8], _ second: [UInt8]) -> Int {
        var common = 0
        let limit = min(first.count, second.count)
        while common < limit && first[common] == second[common] { common += 1 }
        func endsComponent(_ path: [UInt8]) -> Bool { common == path.count || path[common] == slash }
        if endsComponent(first) && endsComponent(second) { return common }
        while common > 0 && first[common - 1] != slash { common -= 1 }
        // Keep the root's slash ("/a" and "/b" share "/"); drop a separator.
        return common > 1 ? common - 1 : common
    }

    private static func componentCount(_ bytes: ArraySlice<UInt8>) -> Int {
        bytes.split(separator: slash).count
    }

    /// Opens `path` relative to `origin` as the directory `wanted`.
    private func open(_ path: [UInt8], from origin: Int32, at wanted: [UInt8]) -> Bool {
        let opened = RawName(path).withCString { LongPaths.openInSteps($0, count: path.count, from: origin) }
        guard opened >= 0 else { return false }
        if descriptor >= 0 { close(descriptor) }
        descriptor = opened
        current = wanted
        return true
    }
}
