/// A path as its bytes (a `FilePath`'s: no repeated or trailing slashes).
/// Where the finishing handles many deep paths it works on these: a
/// `FilePath`'s component operations walk the path from its start for each
/// step, which in a debug build took seconds for a tree deeper than
/// PATH_MAX.
enum PathBytes {
    static let slash = UInt8(ascii: "/")

    /// The directory `path` lies in and its last component: `a/b` is `a`
    /// and `b`, `/a` is `/` and `a`, `a` is `` (the current directory) and
    /// `a`; nil for `/` and the empty path, which lie in none.
    static func split(_ path: [UInt8]) -> (parent: [UInt8], name: ArraySlice<UInt8>)? {
        guard let last = path.lastIndex(of: slash) else { return path.isEmpty ? nil : ([], path[...]) }
        guard last + 1 < path.count else { return nil }
        return (last == 0 ? [slash] : Array(path[..<last]), path[(last + 1)...])
    }
}
