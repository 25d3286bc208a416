import FSRing
import FSRingCopy
import FSRingTestSupport
import Glibc
import Synchronization
import SystemPackage
import Testing

/// `directory`'s `source` folder, made (0755): where most copy tests build
/// the tree they copy.
func makeSourceDirectory(in directory: TemporaryDirectory) -> FilePath {
    let source = directory("source")
    mkdir(source.string, 0o755)
    return source
}

/// A temporary directory whose `source` folder `script` fills (run in it, with `set -e`).
func makeSourceTree(
    _ label: String, _ script: String, sourceLocation: SourceLocation = #_sourceLocation
) throws -> (TemporaryDirectory, FilePath) {
    let directory = TemporaryDirectory(label)
    let source = makeSourceDirectory(in: directory)
    try runScript("set -e\ncd '\(source.string)'\n" + script, sourceLocation: sourceLocation)
    return (directory, source)
}

/// Everything `cp -a` keeps, listed for one tree so two copies can be
/// compared as text: per entry its type, mode, owner, group, size,
/// allocated blocks, modification time in nanoseconds and link target;
/// extended attributes and ACLs; hard-link groups; and a recursive content
/// diff. Access times are left out: reading a source for one copy changes
/// them for the next; `withTimes: false` leaves out modification times
/// too, for copies that do not keep them.
func describeTree(_ root: FilePath, withTimes: Bool = true) throws -> String {
    let quoted = "'\(root.string)'"
    let format = withTimes ? "%y %m %U %G %s %b %T@ %l %p\\n" : "%y %m %U %G %s %b %l %p\\n"
    let entries = try shell("cd \(quoted) && find . -printf '\(format)' | LC_ALL=C sort").text
    let attributes = try shell("cd \(quoted) && getfattr -R -h -d -m - --absolute-names . 2>/dev/null").text
    let links = try shell(
        "cd \(quoted) && find . ! -type d -links +1 -printf '%i %p\\n' | LC_ALL=C sort -k2 "
            + "| awk '{g[$1]=g[$1] \" \" $2} END {for (i in g) print g[i]}' | LC_ALL=C sort"
    ).text
    return "entries:\n\(entries)\nattributes:\n\(sortedAttributeBlocks(attributes))\nlinks:\n\(links)"
}

/// getfattr lists files in walk order; sort its blocks.
private func sortedAttributeBlocks(_ text: String) -> String {
    text.split(separator: "\n\n").map { String($0) }.sorted().joined(separator: "\n\n")
}

/// Whether two trees have the same contents, by `diff -r` (links compared
/// as links; FIFOs, named `fifo` or `fifo` and more, and devices, which
/// diff only names, are compared by describeTree).
func sameContents(_ first: FilePath, _ second: FilePath) throws -> ShellResult {
    try shell(
        "diff -r --no-dereference -x 'fifo*' -x char-device '\(first.string)' '\(second.string)'", standardError: true)
}

/// A tree with every kind of entry cp -a handles.
func makeEveryKindOfEntry(in root: FilePath) throws {
    let script = """
        set -e
        cd '\(root.string)'
        mkdir -p dir/sub/deeper empty-dir 'unicodé ☃' setgid-dir
        echo hello > dir/file
        head -c 100000 /dev/urandom > dir/sub/random
        : > empty-file
        for size in 1 4095 4096 4097 65536 1048577; do head -c $size /dev/urandom > "dir/size-$size"; done
        ln dir/file dir/hard-link-1
        ln dir/file 'unicodé ☃/hard-link-2'
        ln -s ../dir/file dir/sub/relative-link
        ln -s /etc/hostname absolute-link
        ln -s /nonexistent/target dangling-link
        ln -s loop-b loop-a
        ln -s loop-a loop-b
        ln -s dir directory-link
        ln -s 'dir//sub/./' unnormalized-link
        ln -s '//etc/hostname' double-slash-link
        mkfifo fifo
        mknod char-device c 1 3 2>/dev/null || true
        truncate -s 1G sparse
        printf 'data in the middle' | dd of=sparse bs=4096 seek=100000 conv=notrunc status=none
        printf 'name-\\377-not-utf8' | xargs -0 -I{} sh -c 'echo bytes > "$1"' sh {}
        printf 'dir/name\\nwith newline' | xargs -0 -I{} sh -c 'echo newline > "$1"' sh {}
        echo setuid > setuid-file && chmod 4755 setuid-file
        echo setgid > setgid-file && chmod 2750 setgid-file
        chmod 2775 setgid-dir && echo inside > setgid-dir/file
        echo secret > no-permissions && chmod 000 no-permissions
        echo sticky > dir/sticky && mkdir sticky-dir && chmod 1777 sticky-dir
        echo owned > owned && chown 1234:5678 owned
        chown -h 4321:8765 dir/sub/relative-link
        mkdir owned-dir && chown 2345:6789 owned-dir
        setfattr -n user.comment -v 'a comment' dir/file
        setfattr -n user.binary -v 0x00ff10 dir/sub/random
        setfattr -n user.on-directory -v yes dir/sub
        setfattr -n user.large-value -v "0s$(head -c 2000 /dev/urandom | base64 -w0)" dir/size-4096
        for n in $(seq 1 20); do setfattr -n "user.attribute-with-a-long-name-$n" -v "$n" dir/size-4097; done
        setfacl -m u:1234:rw- dir/size-1
        setfattr -h -n trusted.on-a-link -v 'link attribute' absolute-link
        setfacl -d -m g:5678:r-x dir/sub/deeper
        touch -h -d '2001-02-03 04:05:06.123456789' dir/sub/relative-link
        touch -d '1999-12-31 23:59:59.999999999' dir/file dir/sub 'unicodé ☃'
        touch -d '2030-01-01 00:00:00.5' empty-dir
        """
    let result = try shell(script, standardError: true)
    #expect(result.status == 0, "\(result.text)")
}

/// A tree created with `cp -a` (and `extraArguments`), the oracle.
func copyWithCp(_ source: FilePath, _ destination: FilePath, extraArguments: [String] = []) throws {
    let result = try runProcess(["/bin/cp", "-a"] + extraArguments + [source.string, destination.string])
    #expect(result.status == 0, "\(result.errors)")
}

/// Sixteen nested directories, `l/l/.../l`: trees below it are deep enough
/// that the copy reaches their directories from one another at the end
/// (`DirectoryCursor`).
let sixteenLevels = Array(repeating: "l", count: 16).joined(separator: "/")

/// Copies `source` with cp -a to `oracle` and with fsring to `copy`, and
/// expects fsring's copy, made without failures, to be cp's. With
/// `followingLinks`, both follow every link (cp -L).
func copyLikeCp(
    _ fs: FileSystem, _ source: FilePath, to copy: FilePath, oracle: FilePath, followingLinks: Bool = false,
    sourceLocation: SourceLocation = #_sourceLocation
) async throws -> CopySummary {
    try copyWithCp(source, oracle, extraArguments: followingLinks ? ["-L"] : [])
    var options = CopyOptions()
    options.followSymbolicLinks = followingLinks
    let failures = FailureLog()
    let summary = try await fs.copyItem(at: source, to: copy, options: options, onError: failures.record)
    #expect(failures.all.isEmpty, "\(failures.all)", sourceLocation: sourceLocation)
    #expect(summary.failed == 0, sourceLocation: sourceLocation)
    try expectSameTree(copy, as: oracle, sourceLocation: sourceLocation)
    return summary
}

/// Failures collected from the copy's error handler.
final class FailureLog: Sendable {
    private let failures = Mutex<[CopyFailure]>([])
    func record(_ failure: CopyFailure) -> CopyErrorDecision {
        failures.withLock { $0.append(failure) }
        return .proceed
    }
    var all: [CopyFailure] { failures.withLock { $0 } }
}

/// Runs a shell script a test needs (its setup, a change to its source,
/// cp as the oracle) and expects it to succeed.
/// A temporary folder for one test, made ready by `script`, run in it.
func sandbox(_ label: String, _ script: String, sourceLocation: SourceLocation = #_sourceLocation) throws
    -> TemporaryDirectory
{
    let directory = TemporaryDirectory(label)
    try runScript("cd '\(directory.path.string)' && \(script)", sourceLocation: sourceLocation)
    return directory
}

func runScript(_ script: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let result = try shell(script, standardError: true)
    #expect(result.status == 0, "\(script): \(result.text)", sourceLocation: sourceLocation)
}

/// Expects a copy to be what cp made: alike in everything `describeTree`
/// lists and, by `diff -r`, in contents.
func expectSameTree(
    _ ours: FilePath, as theirs: FilePath, withTimes: Bool = true, _ comment: String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let ourLines = try describeTree(ours, withTimes: withTimes).split(separator: "\n")
    let theirLines = try describeTree(theirs, withTimes: withTimes).split(separator: "\n")
    // The lines only one side has, which say what differs.
    let onlyOurs = ourLines.filter { !theirLines.contains($0) }.prefix(10)
    let onlyTheirs = theirLines.filter { !ourLines.contains($0) }.prefix(10)
    let same = ourLines == theirLines
    #expect(same, "\(comment) ours only: \(onlyOurs); theirs only: \(onlyTheirs)", sourceLocation: sourceLocation)
    let difference = try sameContents(ours, theirs)
    #expect(difference.status == 0, "\(comment) \(difference.text)", sourceLocation: sourceLocation)
}
