import FSRing
import SystemPackage

/// A unit of work for the copy threads.
enum CopyJob: Sendable {
    /// List a source directory (whose copy exists already) and queue its entries.
    case directory(DirectoryJob)
    /// Copy some entries of one listed directory.
    case entries(EntriesJob)
}

struct DirectoryJob: Sendable {
    /// The name under the parents, or nil to open the paths themselves.
    var name: RawName?
    var sourceParent: OpenDirectory?
    var destinationParent: OpenDirectory?
    var source: FilePath
    var destination: FilePath
    var depth: Int
    /// Whether this run created the destination directory.
    var destinationIsNew: Bool
    /// Whether the source is reached through a symbolic link that is followed.
    var followLink: Bool
    /// The directories above, when links are followed, to detect loops.
    var ancestors: [FileIdentity]
    /// Where the copy is opened when not at `destination`: the temporary
    /// name of a new tree's top (see CopyRun.hideTree).
    var openedAt: FilePath? = nil
    /// The file system of the directory above (nil for the top), for `-x`.
    var parentFileSystem: UInt64? = nil
    /// The destination is a symbolic link to a directory, followed (at the
    /// top, or with `keepsDirectoryLinks`): the copy goes into that
    /// directory, and so does the metadata.
    var destinationIsLink = false
}

struct EntriesJob: Sendable {
    var source: OpenDirectory
    /// Nil only in a dry run, where the destination directory does not exist.
    var destination: OpenDirectory?
    var destinationPath: FilePath
    var entries: ArraySlice<PendingEntry>
    var depth: Int
    var ancestors: [FileIdentity]
}

struct PendingEntry: Sendable {
    var name: RawName
    /// The name at the destination when it differs (only for the top entry).
    var destinationName: RawName?
    var type: FileType
    /// Follow the entry when it is a symbolic link (`-L`, or `-H` for the top entry).
    var followLink: Bool
}

/// SystemPackage has a `FileType` of its own; this module means FSRing's.
typealias FileType = FSRing.FileType
