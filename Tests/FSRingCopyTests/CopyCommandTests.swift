import FSRing
import FSRingTestSupport
import Glibc
import SystemPackage
import Testing

@Suite("fsring copy (command line)")
struct CopyCommandTests {
    func copy(_ arguments: [String], backend: Backend) throws -> ProcessResult {
        try runProcess([fsringExecutable, "copy"] + arguments, environment: ["FSRING_BACKEND": backend.rawValue])
    }

    /// `fsring copy` with `arguments` as the shell reads them, run in
    /// `directory` after `before` (a shell command and `&&`); stderr with stdout.
    func copyInShell(_ arguments: String, in directory: String, backend: Backend, before: String = "") throws
        -> ShellResult
    {
        try shell(
            "cd '\(directory)' && \(before)FSRING_BACKEND=\(backend.rawValue) '\(fsringExecutable)' copy \(arguments)",
            standardError: true)
    }

    /// In `directory`, copies `src` onto `ours` with `fsring copy OPTIONS
    /// -T` and onto `theirs` with `cp -a CP -T`, expects both to succeed,
    /// and compares the two trees.
    func expectSameCopyAsCp(
        _ options: String, cp cpOptions: String, in directory: TemporaryDirectory, backend: Backend,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let root = directory.path.string
        let ours = try copyInShell("\(options) -T src ours", in: root, backend: backend)
        #expect(ours.status == 0, "\(ours.text)", sourceLocation: sourceLocation)
        try runScript("cd '\(root)' && cp -a \(cpOptions) -T src theirs", sourceLocation: sourceLocation)
        try expectSameTree(directory("ours"), as: directory("theirs"), sourceLocation: sourceLocation)
    }

    /// A test folder that `nobody` may write in; the test needs root, to switch to nobody.
    func directoryForNobody(_ label: String) throws -> TemporaryDirectory {
        try #require(getuid() == 0, "needs root to switch to nobody")
        let directory = TemporaryDirectory(label)
        chmod(directory.path.string, 0o777)
        return directory
    }

    @Test(arguments: allBackends)
    func destinationRulesAreCps(backend: Backend) throws {
        let directory = TemporaryDirectory("copy-cli-rules")
        let root = directory.path.string
        mkdir(directory("tree").string, 0o755)
        writeFile(directory("tree/file"), [1])
        writeFile(directory("single"), [2])
        // Onto a name that does not exist: the copy is that name.
        #expect(try copy(["\(root)/tree", "\(root)/new"], backend: backend).status == 0)
        #expect(libcRead(directory("new/file")) == [1])
        // Into an existing directory: DEST/<name>, also with a trailing slash on the source.
        #expect(try copy(["\(root)/tree/", "\(root)/new"], backend: backend).status == 0)
        #expect(libcRead(directory("new/tree/file")) == [1])
        // Several sources need a directory.
        let several = try copy(["\(root)/single", "\(root)/tree", "\(root)/single-copy"], backend: backend)
        #expect(several.status == 2)
        #expect(several.errors.contains("is not a directory"))
        #expect(try copy(["\(root)/single", "\(root)/tree", "\(root)/new"], backend: backend).status == 0)
        #expect(libcRead(directory("new/single")) == [2])
        // A DEST written with a trailing slash names a directory, as for cp.
        let slashed = try copy(["\(root)/single", "\(root)/no-such/"], backend: backend)
        #expect(slashed.status == 2)
        #expect(slashed.errors.contains("'\(root)/no-such/': it names a directory"))
        #expect(access(directory("no-such").string, F_OK) != 0)
        let ontoFile = try copy(["\(root)/tree/file", "\(root)/single/"], backend: backend)
        #expect(ontoFile.status == 2)
        #expect(ontoFile.errors.contains("'\(root)/single/' is not a directory"))
        #expect(libcRead(directory("single")) == [2])
        #expect(try copy(["\(root)/tree", "\(root)/slashed/"], backend: backend).status == 0)
        #expect(libcRead(directory("slashed/file")) == [1])
        // On SOURCE, a trailing slash names a directory: a link to one is
        // followed (the directory is copied, as by cp), a file is refused.
        #expect(symlink("tree", directory("tree-link").string) == 0)
        #expect(try copy(["\(root)/tree-link/", "\(root)/through-link"], backend: backend).status == 0)
        #expect(libcRead(directory("through-link/file")) == [1])
        var linkCopy = stat()
        #expect(lstat(directory("through-link").string, &linkCopy) == 0 && linkCopy.st_mode & S_IFMT == S_IFDIR)
        _ = try runProcess(["/bin/cp", "-a", "\(root)/tree-link/", "\(root)/through-link-cp"])
        #expect(lstat(directory("through-link-cp").string, &linkCopy) == 0 && linkCopy.st_mode & S_IFMT == S_IFDIR)
        #expect(try copy(["\(root)/tree-link", "\(root)/the-link"], backend: backend).status == 0)
        #expect(lstat(directory("the-link").string, &linkCopy) == 0 && linkCopy.st_mode & S_IFMT == S_IFLNK)
        let fileSlash = try copy(["\(root)/single/", "\(root)/from-slash"], backend: backend)
        #expect(fileSlash.status == 2)
        #expect(fileSlash.errors.contains("'\(root)/single/' is not a directory"))
        #expect(access(directory("from-slash").string, F_OK) != 0)
        // An empty path names nothing, as for cp: not the working directory.
        mkdir(directory("empty").string, 0o755)
        let inEmpty = { (arguments: String) in try copyInShell(arguments, in: "\(root)/empty", backend: backend) }
        let emptyDestination = try inEmpty("'\(root)/tree' ''")
        #expect(emptyDestination.status == 1)
        #expect(emptyDestination.text.contains("create '': No such file or directory (ENOENT)"))
        let emptySource = try inEmpty("'' copy-of-nothing")
        #expect(emptySource.status == 1)
        #expect(emptySource.text.contains("statx '': No such file or directory (ENOENT)"))
        mkdir(directory("empty/into").string, 0o755)
        #expect(try inEmpty("'' '\(root)/single' into").status == 1)
        #expect(libcRead(directory("empty/into/single")) == [2])
        #expect(try shell("ls -A '\(root)/empty'").text == "into\n")
        // A link that leads nowhere is in the way of a directory, as for cp:
        // refused before anything is copied (it used to be copied whole under
        // a temporary name that could not be renamed over the link).
        mkdir(directory("dangling").string, 0o755)
        symlink("nowhere", directory("dangling/link").string)
        let ontoLink = try copyInShell("'\(root)/tree' link", in: "\(root)/dangling", backend: backend)
        #expect(ontoLink.status == 1)
        #expect(ontoLink.text.contains("mkdir 'link': cannot overwrite a non-directory with a directory"))
        #expect(try shell("ls -A '\(root)/dangling'").text == "link\n")
        #expect(try shell("cd '\(root)/dangling' && cp -a '\(root)/tree' link").status == 1)
        // A link to a directory there is followed, the copy merged into its directory (as rsync).
        mkdir(directory("dangling/real").string, 0o755)
        symlink("real", directory("dangling/to-real").string)
        #expect(try copyInShell("-T '\(root)/tree' to-real", in: "\(root)/dangling", backend: backend).status == 0)
        #expect(libcRead(directory("dangling/real/file")) == [1])
        // Two sources meeting at one name, as cp: another file is not written
        // over the one just copied there; directories merge; the same file
        // given twice is copied once.
        for name in ["a", "b"] {
            mkdir(directory(name).string, 0o755)
            writeFile(directory("\(name)/same"), Array(name.utf8))
            mkdir(directory("\(name)/dir").string, 0o755)
            writeFile(directory("\(name)/dir/\(name)"), Array(name.utf8))
        }
        mkdir(directory("meet").string, 0o755)
        let meeting = try copy(["\(root)/a/same", "\(root)/b/same", "\(root)/meet"], backend: backend)
        #expect(meeting.status == 1)
        #expect(meeting.errors.contains("will not overwrite just-copied '\(root)/meet/same' with '\(root)/b/same'"))
        #expect(libcRead(directory("meet/same")) == Array("a".utf8))
        #expect(try copy(["\(root)/a/dir", "\(root)/b/dir", "\(root)/meet"], backend: backend).status == 0)
        #expect(
            libcRead(directory("meet/dir/a")) == Array("a".utf8) && libcRead(directory("meet/dir/b")) == Array("b".utf8)
        )
        mkdir(directory("twice").string, 0o755)
        let twice = try copy(["\(root)/a/same", "\(root)/a/same", "\(root)/twice"], backend: backend)
        #expect(twice.status == 0)
        #expect(twice.errors.contains("'\(root)/a/same' is given more than once"))
        #expect(libcRead(directory("twice/same")) == Array("a".utf8))
        // Hard links between files of different sources stay hard links, as with cp -a.
        mkdir(directory("linked").string, 0o755)
        writeFile(directory("linked/first"), [7])
        #expect(link(directory("linked/first").string, directory("linked/second").string) == 0)
        mkdir(directory("linked-copy").string, 0o755)
        let linked = try copy(
            ["\(root)/linked/first", "\(root)/linked/second", "\(root)/linked-copy"], backend: backend)
        #expect(linked.status == 0)
        let first = libcStat(directory("linked-copy/first"))
        let second = libcStat(directory("linked-copy/second"))
        #expect(first?.st_ino == second?.st_ino && first?.st_nlink == 2, "not one file with two names")
        // cp's habits -a, -r, -R, -p and -d are accepted; directories are always
        // copied whole, with everything -p and -d ask for. Combined (-rp) too.
        #expect(try copy(["-a", "-r", "-R", "\(root)/tree", "\(root)/habits"], backend: backend).status == 0)
        #expect(libcRead(directory("habits/file")) == [1])
        #expect(try copy(["-rp", "-d", "\(root)/tree", "\(root)/habits-p"], backend: backend).status == 0)
        #expect(libcRead(directory("habits-p/file")) == [1])
        // -d after -L undoes it, as in cp: the link is copied as a link.
        #expect(try copy(["-L", "-d", "\(root)/tree-link", "\(root)/habits-d"], backend: backend).status == 0)
        #expect(lstat(directory("habits-d").string, &linkCopy) == 0 && linkCopy.st_mode & S_IFMT == S_IFLNK)
        // -T: DEST is the copy itself, merged into when it exists.
        #expect(try copy(["-T", "\(root)/tree", "\(root)/new"], backend: backend).status == 0)
        #expect(libcRead(directory("new/file")) == [1])
        // -t DIR.
        mkdir(directory("into").string, 0o755)
        #expect(try copy(["-t", "\(root)/into", "\(root)/single", "\(root)/tree"], backend: backend).status == 0)
        #expect(libcRead(directory("into/tree/file")) == [1])
        // Into itself: refused, exit status 1 as cp.
        let itself = try copy(["\(root)/tree", "\(root)/tree/inside"], backend: backend)
        #expect(itself.status == 1)
        #expect(itself.errors.contains("into itself"), "\(itself.errors)")
        #expect(libcStat(directory("tree/inside")) == nil)
        // A directory onto a file: said as cp says it, not as a bare errno.
        let treeOntoFile = try copy(["\(root)/tree", "\(root)/single"], backend: backend)
        #expect(treeOntoFile.status == 1)
        let expected = "fsring: copy: mkdir '\(root)/single': cannot overwrite a non-directory with a directory\n"
        #expect(treeOntoFile.errors == expected)
    }

    /// -v and messages name sources and destinations as they were written
    /// (`d//s`, `./d/s/`, `dir//new/`), as cp does.
    @Test(arguments: allBackends)
    func pathsAreNamedAsWrittenLikeCp(backend: Backend) throws {
        let directory = TemporaryDirectory("copy-cli-spelled")
        let root = directory.path.string
        // Two sandboxes alike, one for each tool, so each can be given the same arguments.
        try runScript("cd '\(root)' && for t in ours theirs; do mkdir -p $t/d/s $t/dir && echo 1 > $t/d/s/f; done")
        let cases = [
            "d//s first", "./d/s/ second", "d/s/f third", "./d//s/f fourth", "d/s/f dir//", "d/s/f ./dir//./",
            "d/s dir//new", "d/s dir//new2/", "-t dir// d/s/f", "-T d/s dir//T//", "d/s/f d/s dir//", "d/s/. dir//dot",
            "./d//s/ dir//x/", "d//missing out",
        ]
        for arguments in cases {
            let theirs = try shell("cd '\(root)/theirs' && cp -av \(arguments)", standardError: true)
            let ours = try copyInShell("-v \(arguments)", in: "\(root)/ours", backend: backend)
            #expect(ours.status == theirs.status, "\(arguments)")
            let lines = { (text: String) in text.split(separator: "\n").sorted() }
            let expected = lines(
                theirs.text.replacingOccurrences("cp: cannot stat ", "fsring: copy: statx ").replacingOccurrences(
                    ": No such file or directory", ": No such file or directory (ENOENT)"))
            #expect(lines(ours.text) == expected, "\(arguments)")
        }
    }

    /// Every name is listed and reported as cp (in a UTF-8 locale) quotes
    /// it, so that bytes that are not UTF-8, control characters and quotes
    /// are shown exactly and a listing's line is one entry.
    @Test(arguments: allBackends)
    func namesAreQuotedLikeCp(backend: Backend) throws {
        let directory = try directoryForNobody("copy-cli-quoting")
        let root = directory.path.string
        let names: [[UInt8]] =
            [
                "plain", "a b", "it's", "it's!", "#x", "a#b", "~x", "a\"b", "a\\b", "a$b", "-x", "[x]", "a?b",
                "a\nb", "a\tb\u{1}c\u{7F}", "\u{1B}[31m", "é", "it'é", "日本", "\u{85}x", "\u{2028}z", "\u{200B}z",
                "\u{378}x", "\u{FFFD}",
            ].map { Array($0.utf8) } + [
                Array("bad".utf8) + [0xFF], Array("it's".utf8) + [0xFF], Array("it's".utf8) + [0xFF, 0x78],
                [0x78, 0xFF, 0xFE, 0x79], [0xFF, 0x27, 0x78], [0xED, 0xA0, 0x80], [0x61, 0xE2, 0x80],
            ]
        mkdir(directory("s").string, 0o755)
        for name in names { writeFile(Array("\(root)/s/".utf8) + name, [1]) }
        let environment = ["LC_ALL": "C.UTF-8", "FSRING_BACKEND": backend.rawValue]
        let theirs = try runProcess(["/bin/sh", "-c", "cd '\(root)' && cp -av s by-cp"], environment: environment)
        let ours = try runProcess(
            ["/bin/sh", "-c", "cd '\(root)' && '\(fsringExecutable)' copy -v s by-cp2"],
            environment: environment)
        #expect(theirs.status == 0 && ours.status == 0)
        // As text: the quoted forms are UTF-8, and a byte printed unquoted
        // would read as U+FFFD and differ.
        let lines = { (text: String) in text.split(separator: "\n").sorted() }
        let expected = lines(theirs.output.replacingOccurrences("by-cp", "by-cp2"))
        #expect(lines(ours.output) == expected)
        #expect(expected.count == names.count + 1)

        // Failures name the path as cp's messages do.
        let unreadable = Array("\(root)/s/".utf8) + [0x6E, 0x6F, 0xFF, 0x0A]
        writeFile(unreadable, [2], mode: 0)
        let cpErrors = try runAsNobody(
            ["/bin/sh", "-c", "cd '\(root)' && cp -a s '\(root)/nobody-cp'"],
            environment: environment
        ).errors
        let ourErrors = try runAsNobody(
            ["/bin/sh", "-c", "cd '\(root)' && '\(fsringExecutable)' copy s '\(root)/nobody'"],
            environment: environment
        ).errors
        let named = "'s/no'$'\\377\\n'"
        #expect(cpErrors.contains("cannot open \(named) for reading: Permission denied"), "\(cpErrors)")
        #expect(ourErrors.contains("open \(named): Permission denied (EACCES)"), "\(ourErrors)")
    }

    @Test(arguments: allBackends)
    func noClobberUpdateVerboseAndJSON(backend: Backend) throws {
        let directory = TemporaryDirectory("copy-cli-flags")
        let root = directory.path.string
        mkdir(directory("source").string, 0o755)
        mkdir(directory("target").string, 0o755)
        writeFile(directory("source/a"), Array("new a".utf8))
        writeFile(directory("source/b"), Array("new b".utf8))
        writeFile(directory("target/a"), Array("old a".utf8))
        _ = try shell("touch -d '2000-01-01' '\(root)/target/a'")
        let noClobber = try copy(["-n", "-v", "-T", "\(root)/source", "\(root)/target"], backend: backend)
        #expect(noClobber.status == 0)
        #expect(libcRead(directory("target/a")) == Array("old a".utf8))
        #expect(libcRead(directory("target/b")) == Array("new b".utf8))
        #expect(noClobber.output.contains("'\(root)/source/b' -> '\(root)/target/b'"), "\(noClobber.output)")
        #expect(noClobber.output.contains("skipped '\(root)/target/a' (exists)"))
        let update = try copy(["-u", "--json", "-T", "\(root)/source", "\(root)/target"], backend: backend)
        #expect(update.status == 0)
        #expect(libcRead(directory("target/a")) == Array("new a".utf8))
        #expect(update.output.hasPrefix("{\"files\":1,\"directories\":1,"), "\(update.output)")
        for key in ["\"skipped\":1", "\"failed\":0", "\"bytes\":5", "\"elapsed_seconds\":", "\"bytes_per_second\":"] {
            #expect(update.output.contains(key), "\(key) in \(update.output)")
        }
        let dryRun = try copy(["--dry-run", "\(root)/source", "\(root)/planned"], backend: backend)
        #expect(dryRun.status == 0)
        #expect(dryRun.output.contains("would copy '\(root)/source/a' -> '\(root)/planned/a'"))
        #expect(libcStat(directory("planned")) == nil)
        // --preserve keeps exactly what it lists.
        _ = try shell("touch -d '2000-01-01' '\(root)/source/b'")
        for (list, keepsTime) in [("mode", false), ("mode,timestamps", true)] {
            let target = "\(root)/preserved-\(list)"
            #expect(try copy(["--preserve=\(list)", "\(root)/source", target], backend: backend).status == 0)
            let modified = try #require(libcStat(FilePath("\(target)/b"))).st_mtim.tv_sec
            #expect((modified == 946_684_800) == keepsTime, "--preserve=\(list): mtime \(modified)")
        }
        // Alone, as cp's --preserve (mode, ownership, timestamps, as -p), it takes nothing
        // away from what is kept, and takes no argument from those after it.
        #expect(try copy(["--preserve", "\(root)/source", "\(root)/preserved"], backend: backend).status == 0)
        #expect(libcStat(directory("preserved/b"))?.st_mtim.tv_sec == 946_684_800)
        let usage = try copy(["--preserve=colour", "\(root)/source", "\(root)/x"], backend: backend)
        #expect(usage.status == 2)
        #expect(usage.errors.contains("unknown attribute 'colour'"))
    }

    @Test(arguments: allBackends)
    func reflinkProgressAndVerify(backend: Backend) throws {
        let directory = TemporaryDirectory("copy-cli-reflink")
        let root = directory.path.string
        mkdir(directory("source").string, 0o755)
        writeFile(directory("source/data"), randomBytes(300_000, seed: 3))
        // /tmp here is ext4 or tmpfs, which cannot share extents: `always` fails each file, clearly.
        let always = try copy(["--reflink=always", "\(root)/source", "\(root)/cloned"], backend: backend)
        #expect(always.status == 1)
        // `--reflink` alone means always, as for cp, and takes no argument from those after it.
        let bare = try copy(["--reflink", "\(root)/source", "\(root)/cloned-bare"], backend: backend)
        #expect(bare.status == 1 && bare.errors == always.errors.replacingOccurrences("/cloned/", "/cloned-bare/"))
        // A start of one value will do, as for cp (`a` alone could be auto or always).
        let short = try copy(["--reflink=alw", "\(root)/source", "\(root)/cloned-short"], backend: backend)
        #expect(short.status == 1 && short.errors == always.errors.replacingOccurrences("/cloned/", "/cloned-short/"))
        #expect(
            always.errors.contains("clone '\(root)/cloned/data': reflink is not supported here"), "\(always.errors)")
        #expect(libcStat(directory("cloned/data")) == nil)
        let never = try copy(
            ["--reflink=never", "--verify", "--progress", "--json", "\(root)/source", "\(root)/copied"],
            backend: backend
        )
        #expect(never.status == 0, "\(never.errors)")
        #expect(libcRead(directory("copied/data")) == randomBytes(300_000, seed: 3))
        #expect(never.output.contains("\"verified\":1"), "\(never.output)")
        // The progress line is drawn on stderr and cleared at the end.
        #expect(never.errors.contains(" files  "), "\(never.errors)")
        #expect(never.errors.contains("/s"))
        #expect(never.errors.hasSuffix("\r\u{1B}[K"))
    }

    @Test(arguments: allBackends)
    func reflinkSharesExtentsOnBtrfs(backend: Backend) throws {
        let directory = TemporaryDirectory("copy-cli-btrfs")
        let root = directory.path.string
        let image = try shell(
            "truncate -s 300M '\(root)/image' && mkfs.btrfs -q '\(root)/image' && mkdir '\(root)/mnt' "
                + "&& mount -o loop '\(root)/image' '\(root)/mnt'", standardError: true)
        if image.status != 0 {
            try Test.cancel("cannot make and mount a Btrfs image here (\(image.text)); reflink is not tested")
        }
        defer { _ = try? shell("umount '\(root)/mnt'") }
        let setup = try shell(
            "mkdir '\(root)/mnt/source' && head -c 3000000 /dev/urandom > '\(root)/mnt/source/data' "
                + "&& head -c 70000 /dev/urandom > '\(root)/mnt/source/small'")
        #expect(setup.status == 0)
        func sharedExtents(_ path: String) throws -> Bool {
            try shell("filefrag -v '\(path)'").text.contains("shared")
        }
        for (flag, shares) in [("--reflink=always", true), ("--reflink=auto", true), ("--reflink=never", false)] {
            let target = "\(root)/mnt/copy\(flag.dropFirst("--reflink=".count))"
            let result = try copy([flag, "\(root)/mnt/source", target], backend: backend)
            #expect(result.status == 0, "\(flag): \(result.errors)")
            for name in ["data", "small"] {
                #expect(try shell("cmp '\(root)/mnt/source/\(name)' '\(target)/\(name)'").status == 0)
                #expect(try sharedExtents("\(target)/\(name)") == shares, "\(flag) \(name)")
            }
        }
    }

    /// --parents copies each SOURCE to DEST/SOURCE, making the directories
    /// on the way with their sources' metadata (set once all is copied), and
    /// lists them as cp -v does; a SOURCE that climbs out with `..` is
    /// refused (cp would write outside DEST).
    @Test(arguments: allBackends)
    func parentsMakesTheDirectoriesOnTheWayLikeCp(backend: Backend) throws {
        let directory = try sandbox(
            "copy-cli-parents",
            "mkdir -p a/b c/d ours theirs && echo 1 > a/b/f && echo 2 > c/d/g && chmod 750 a "
                + "&& chmod 700 c/d && setfattr -n user.k -v v a/b && touch -d '2001-02-03 04:05:06.7' a a/b c c/d")
        let root = directory.path.string
        let ours = try copyInShell("-v --parents a/b/f c/d/g ours", in: root, backend: backend)
        let theirs = try shell("cd '\(root)' && cp -av --parents a/b/f c/d/g theirs", standardError: true)
        #expect(ours.status == 0 && theirs.status == 0, "\(ours.text)")
        #expect(ours.text.replacingOccurrences("ours", "theirs") == theirs.text)
        try expectSameTree(directory("ours/c"), as: directory("theirs/c"))
        // a/b has an extended attribute, which fsring keeps and cp's
        // --parents does not give the directories it makes.
        let modesAndTimes = { (tree: String) in
            try shell("cd '\(root)/\(tree)' && find a -printf '%p %m %T@\\n' | sort").text
        }
        #expect(try modesAndTimes("ours") == modesAndTimes("theirs"))
        #expect(try shell("getfattr -n user.k --only-values '\(root)/ours/a/b'").text == "v")
        #expect(libcRead(directory("ours/c/d/g")) == Array("2\n".utf8))
        // An absolute SOURCE: its directories from / down are made, their
        // metadata copied into folders inside themselves (fine, as only
        // the metadata goes).
        mkdir(directory("absolute").string, 0o755)
        let absolute = try copyInShell("--parents -t absolute '\(root)/a/b/f'", in: root, backend: backend)
        #expect(absolute.status == 0, "\(absolute.text)")
        #expect(libcRead(directory("absolute\(root)/a/b/f")) == Array("1\n".utf8))
        #expect(libcStat(directory("absolute\(root)/a")).map { $0.st_mode & 0o777 } == 0o750)
        let outside = try copyInShell("--parents ../x ../ours", in: "\(root)/a", backend: backend)
        #expect(outside.status == 2)
        #expect(outside.text.contains("with --parents, '../x' would be copied outside the destination"))
        #expect(try copyInShell("--parents a/b/f nowhere", in: root, backend: backend).status == 2)
    }

    /// A file in the way that has other hard links: written into with
    /// --inplace (the other names see the new bytes, as with cp), removed
    /// first with --remove-destination too, and replaced by default (the
    /// other names keep the old bytes, as with cp --remove-destination).
    @Test(arguments: allBackends)
    func otherHardLinksOfAReplacedFileLikeCp(backend: Backend) throws {
        let directory = TemporaryDirectory("copy-cli-remove-destination")
        let root = directory.path.string
        let targets = ["inplace", "removed", "default", "cp", "cp-removed"]
        try runScript(
            "cd '\(root)' && echo new > source"
                + targets.map { " && echo old > \($0) && ln \($0) \($0)-other" }.joined())
        for (options, target) in [
            ("--inplace", "inplace"), ("--inplace --remove-destination", "removed"), ("", "default"),
        ] {
            #expect(try copyInShell("\(options) source \(target)", in: root, backend: backend).status == 0)
        }
        try runScript("cd '\(root)' && cp source cp && cp --remove-destination source cp-removed")
        let other = { (name: String) in libcRead(directory("\(name)-other")) }
        #expect(other("inplace") == Array("new\n".utf8))
        #expect(other("inplace") == other("cp"))
        #expect(other("removed") == Array("old\n".utf8))
        #expect(other("removed") == other("cp-removed"))
        #expect(other("default") == Array("old\n".utf8))
        for target in targets { #expect(libcRead(directory(target)) == Array("new\n".utf8), "\(target)") }
    }

    /// --strip-trailing-slashes takes each SOURCE copied into a directory
    /// without its trailing slashes, as cp does: there `link/` is the link
    /// (copied as a link), not the directory it leads to, and `file/` is the
    /// file; copied onto DEST, `link/` is still the directory.
    @Test(arguments: allBackends)
    func strippedTrailingSlashesLikeCp(backend: Backend) throws {
        let directory = try sandbox(
            "copy-cli-strip-slashes",
            "for t in ours theirs; do mkdir -p $t/dir $t/new && echo 1 > $t/dir/f && ln -s dir $t/link && echo 2 > $t/file; done"
        )
        let root = directory.path.string
        for arguments in ["link/ a", "link// file/ dir/", "-t new link/"] {
            let ours = try copyInShell(
                "-v --strip-trailing-slashes \(arguments)", in: "\(root)/ours", backend: backend)
            let theirs = try shell(
                "cd '\(root)/theirs' && cp -av --strip-trailing-slashes \(arguments)", standardError: true)
            #expect(ours.status == 0 && theirs.status == 0, "\(arguments): \(ours.text)")
            #expect(ours.text.split(separator: "\n").sorted() == theirs.text.split(separator: "\n").sorted())
        }
        try expectSameTree(directory("ours"), as: directory("theirs"), withTimes: false)
        var link = stat()
        #expect(lstat(directory("ours/a").string, &link) == 0 && link.st_mode & S_IFMT == S_IFDIR)
        #expect(lstat(directory("ours/dir/link").string, &link) == 0 && link.st_mode & S_IFMT == S_IFLNK)
    }

    /// -s makes a tree of symbolic links to the source as cp -as does:
    /// directories made, every other entry (a link too) a link to the
    /// source's path with the source's times; a relative source is refused
    /// where the links would not be made in the current directory, and
    /// works where they are.
    @Test(arguments: allBackends)
    func symbolicLinkMakesALinkFarmLikeCpAs(backend: Backend) throws {
        let directory = try sandbox(
            "copy-cli-symbolic-link",
            "mkdir -p src/d && echo 1 > src/f && echo 2 > src/d/g && ln -s f src/l && mkfifo src/fifo "
                + "&& touch -d '2001-02-03 04:05:06.7' src/f src/d && mkdir ours theirs")
        let root = directory.path.string
        let ours = try copyInShell("-sv '\(root)/src' ours/farm", in: root, backend: backend)
        let theirs = try shell("cd '\(root)' && cp -asv '\(root)/src' theirs/farm", standardError: true)
        #expect(ours.status == 0 && theirs.status == 0, "\(ours.text)")
        let lines = { (text: String) in text.replacingOccurrences("theirs/", "ours/").split(separator: "\n").sorted() }
        #expect(lines(ours.text) == lines(theirs.text))
        try expectSameTree(directory("ours/farm"), as: directory("theirs/farm"))
        #expect(try shell("readlink '\(root)/ours/farm/d/g'").text == "\(root)/src/d/g\n")
        // Relative: refused below the current directory, made in it.
        let below = try copyInShell("-s src ours/relative", in: root, backend: backend)
        let cpBelow = try shell("cd '\(root)' && cp -as src theirs/relative", standardError: true)
        #expect(below.status == 1 && cpBelow.status == 1)
        #expect(
            below.text.contains(
                "symlink 'ours/relative/f': can make relative symbolic links only in the current directory"))
        try expectSameTree(directory("ours/relative"), as: directory("theirs/relative"), withTimes: false)
        #expect(try copyInShell("-s src/f here", in: root, backend: backend).status == 0)
        #expect(try shell("readlink '\(root)/here'").text == "src/f\n")
        let refused = try copyInShell("-s -l src/f there", in: root, backend: backend)
        #expect(refused.status == 2 && refused.text.contains("-l and -s cannot be combined"))
    }

    /// Written in place, a file that was there gets the source's mode as
    /// well as its bytes, as with cp -a (it used to keep its own mode), and
    /// loses an ACL the source does not have.
    @Test(arguments: allBackends)
    func filesWrittenInPlaceGetTheSourcesModeLikeCp(backend: Backend) throws {
        let directory = try sandbox(
            "copy-cli-inplace-mode",
            "mkdir src && echo 1 > src/a && echo 2 > src/b && echo 3 > src/c && chmod 644 src/a && chmod 755 src/b "
                + "&& chmod 4750 src/c && for t in ours theirs; do mkdir $t && for n in a b c; do echo old > $t/$n; "
                + "done && chmod 600 $t/a && chmod 700 $t/b && chmod 644 $t/c && setfacl -m u:nobody:rw $t/b; done")
        try expectSameCopyAsCp("--inplace", cp: "", in: directory, backend: backend)
        #expect(libcStat(directory("ours/a")).map { $0.st_mode & 0o7777 } == 0o644)
    }

    /// --attributes-only copies metadata and no contents, as cp does: a
    /// file that is there keeps its bytes and gets the source's mode, times,
    /// extended attributes and ACLs; a new file is made empty, with them;
    /// links and directories are copied as usual.
    @Test(arguments: allBackends)
    func attributesOnlyLeavesContentsLikeCp(backend: Backend) throws {
        let directory = try sandbox(
            "copy-cli-attributes-only",
            "mkdir -p src/d && echo new > src/a && chmod 640 src/a && setfattr -n user.k -v v src/a "
                + "&& echo nb > src/b && echo nc > src/d/c && ln -s a src/l && touch -d 2001-01-01 src/a src/d "
                + "&& for t in ours theirs; do mkdir -p $t/d && echo 'old contents' > $t/a && chmod 600 $t/a "
                + "&& setfacl -m u:nobody:r $t/a && echo old > $t/d/c; done")
        try expectSameCopyAsCp("--attributes-only", cp: "--attributes-only", in: directory, backend: backend)
        #expect(libcRead(directory("ours/a")) == Array("old contents\n".utf8))
        #expect(libcRead(directory("ours/b")) == [])
        let refused = try copyInShell(
            "--attributes-only --verify -T src ours", in: directory.path.string, backend: backend)
        #expect(refused.status == 2 && refused.text.contains("--verify compares contents"))
    }

    /// A symbolic link to a directory where a directory's copy goes: at the
    /// top it is followed, and the directory it leads to gets the copy's
    /// mode and times, not the link (the times went onto the link); below
    /// the top it is refused as a non-directory in the way, as by cp, unless
    /// -K, which copies into the directory it leads to and gives that
    /// directory the metadata.
    @Test(arguments: allBackends)
    func linksToDirectoriesInTheWay(backend: Backend) throws {
        let directory = try sandbox(
            "copy-cli-directory-links",
            "mkdir -p src/sub top-real dest/elsewhere plain/elsewhere && echo 1 > src/sub/f && chmod 750 src src/sub "
                + "&& touch -d '2001-02-03 04:05:06' src/sub src && ln -s top-real top "
                + "&& ln -s elsewhere dest/sub && ln -s elsewhere plain/sub && touch -h -d @1262304000 top dest/sub")
        let root = directory.path.string
        let modeAndTime = { (path: String, follow: Bool) in
            try shell("stat \(follow ? "-L" : "") -c '%a %Y' '\(root)/\(path)'").text
        }
        #expect(try copyInShell("-T src top", in: root, backend: backend).status == 0)
        #expect(try modeAndTime("top-real", false) == modeAndTime("src", false))
        #expect(try modeAndTime("top", false).hasSuffix(" 1262304000\n"))
        let refused = try copyInShell("-T src plain", in: root, backend: backend)
        let cpRefused = try shell("cd '\(root)' && cp -a -T src plain", standardError: true)
        #expect(refused.status == 1 && cpRefused.status == 1)
        #expect(refused.text.contains("mkdir 'plain/sub': cannot overwrite a non-directory with a directory"))
        #expect(access(directory("plain/elsewhere/f").string, F_OK) != 0)
        #expect(try copyInShell("-K -T src dest", in: root, backend: backend).status == 0)
        #expect(libcRead(directory("dest/elsewhere/f")) == Array("1\n".utf8))
        #expect(try modeAndTime("dest/elsewhere", false) == modeAndTime("src/sub", false))
        #expect(try modeAndTime("dest/sub", false).hasSuffix(" 1262304000\n"))
    }

    /// -l makes a snapshot as cp -al does: every entry but directories is a
    /// hard link to the source's own inode (symbolic links, FIFOs, hard-link
    /// groups too), directories are made with their metadata, and making
    /// it again over itself changes nothing and succeeds.
    @Test(arguments: allBackends)
    func linkMakesASnapshotLikeCpAl(backend: Backend) throws {
        let directory = TemporaryDirectory("copy-cli-link")
        let source = makeSourceDirectory(in: directory)
        try makeEveryKindOfEntry(in: source)
        let root = directory.path.string
        #expect(try copyInShell("-l source ours", in: root, backend: backend).status == 0)
        try runScript("cd '\(root)' && cp -al source theirs")
        try expectSameTree(directory("ours"), as: directory("theirs"))
        let inodes = { (tree: String) in
            try shell("cd '\(root)/\(tree)' && find . ! -type d -printf '%p %i\\n' | sort").text
        }
        #expect(try inodes("ours") == inodes("source"))
        #expect(try !inodes("source").isEmpty)
        // Again over itself, with one file replaced by another meanwhile:
        // that one is linked again (cp -al would fail on it).
        try runScript("cd '\(root)' && rm ours/dir/size-4097 && echo other > ours/dir/size-4097")
        let again = try copyInShell("-l -T source ours", in: root, backend: backend)
        #expect(again.status == 0, "\(again.text)")
        #expect(try inodes("ours") == inodes("source"))
        // A single file named as SOURCE.
        #expect(try copyInShell("-l source/dir/size-4097 one", in: root, backend: backend).status == 0)
        #expect(libcStat(directory("one"))?.st_ino == libcStat(directory("source/dir/size-4097"))?.st_ino)
    }

    /// --sparse=always leaves every block of zeros unwritten (a hole), the
    /// last, shorter one too; --sparse=never writes holes out as zeros: the
    /// same bytes and the same allocated blocks as cp's, file by file.
    @Test(arguments: allBackends)
    func sparseAlwaysAndNeverMatchCp(backend: Backend) throws {
        let directory = TemporaryDirectory("copy-cli-sparse")
        let root = directory.path.string
        let random = { (count: Int) in "head -c \(count) /dev/urandom" }
        let zeros = { (count: Int) in "head -c \(count) /dev/zero" }
        try runScript(
            "cd '\(root)' && mkdir s && { \(random(4096)); \(zeros(32768)); \(random(4096)); \(zeros(16384)); "
                + "\(random(100)); \(zeros(3000)); } > s/dense && { \(random(4096)); \(zeros(9192)); } > s/zero-tail "
                + "&& { \(random(5000)); \(zeros(20000)); \(random(10)); } > s/unaligned && truncate -s 10M s/holes "
                + "&& printf x | dd of=s/holes bs=1 seek=5000000 conv=notrunc 2>/dev/null")
        let blocks = { (path: String) in try shell("stat -c %b '\(root)/\(path)'").text }
        for mode in ["always", "never"] {
            #expect(try copyInShell("--sparse=\(mode) s ours-\(mode)", in: root, backend: backend).status == 0)
            try runScript("cd '\(root)' && cp -a --sparse=\(mode) s theirs-\(mode)")
            for name in ["dense", "zero-tail", "unaligned", "holes"] {
                #expect(try shell("cmp '\(root)/s/\(name)' '\(root)/ours-\(mode)/\(name)'").status == 0)
                #expect(try blocks("ours-\(mode)/\(name)") == blocks("theirs-\(mode)/\(name)"), "\(mode) \(name)")
            }
        }
        #expect(try Int(blocks("ours-always/dense").dropLast())! < Int(blocks("s/dense").dropLast())!)
        #expect(try Int(blocks("ours-never/holes").dropLast())! >= 10 * 1024 * 2)
        let refused = try copyInShell("--reflink=always --sparse=never s refused", in: root, backend: backend)
        #expect(refused.status == 2)
    }

    /// Low limits on descriptors do not fail a copy: a soft one is raised
    /// to the hard one, and under a hard one below 256 the tree is copied on
    /// one thread, depth first. A copy keeps listed directories open, and
    /// these 341 directories failed dozens of entries with EMFILE under
    /// `ulimit -Sn 24`, and under `ulimit -n 32` with four threads.
    @Test(arguments: allBackends)
    func lowDescriptorLimitsDoNotFailTheCopy(backend: Backend) throws {
        let directory = try sandbox(
            "copy-cli-descriptors",
            "for a in 0 1 2 3; do for b in 0 1 2 3; do for c in 0 1 2 3; do for d in 0 1 2 3; do "
                + "mkdir -p s/d$a/d$b/d$c/d$d && for f in 0 1 2 3 4; do echo $f > s/d$a/d$b/d$c/d$d/f$f; "
                + "echo $f > s/d$a/d$b/d$c/f$f; done; done; done; done; done")
        let root = directory.path.string
        // The hard limit counts from what the shell holds already (the test
        // runner's own descriptors are inherited): twenty more.
        let hard = "ulimit -n $(($(ls /proc/$$/fd | wc -l) + 20))"
        for (limit, copy) in [("ulimit -Sn 24", "soft"), (hard, "hard")] {
            let copied = try copyInShell("s \(copy)", in: root, backend: backend, before: "\(limit) && ")
            #expect(copied.status == 0, "\(limit): \(copied.text)")
            #expect(try shell("diff -r '\(root)/s' '\(root)/\(copy)'").status == 0, "\(limit)")
        }
    }

    /// A symbolic link copied over the very file it leads to would leave
    /// that name a link to itself and the file's contents gone: refused, as
    /// cp refuses it, named as the command's argument and inside a tree.
    @Test(arguments: allBackends)
    func aLinkIsNotCopiedOverTheFileItLeadsToLikeCp(backend: Backend) throws {
        let directory = try sandbox(
            "copy-cli-link-onto-target",
            "echo data > a && ln -s a la && ln -s la lla && mkdir s t && echo keep > t/x "
                + "&& ln -s \"$PWD/t/x\" s/x && echo y > s/y && echo other > t/other && ln -s x s/l "
                + "&& ln -s x t/l && ln -s other s/to-other && echo replaced > t/to-other")
        let root = directory.path.string
        let copy = { (arguments: String) in try copyInShell(arguments, in: root, backend: backend) }
        for link in ["la", "lla"] {
            let ours = try copy("\(link) a")
            #expect(ours.status == 1)
            #expect(ours.text.contains("'a' is the same file"), "\(ours.text)")
            #expect(try shell("cd '\(root)' && cp -a \(link) a").status == 1)
            #expect(libcRead(directory("a")) == Array("data\n".utf8))
        }
        let tree = try copy("-T s t")
        #expect(tree.status == 1)
        #expect(tree.text.contains("'t/x' is the same file"), "\(tree.text)")
        #expect(libcRead(directory("t/x")) == Array("keep\n".utf8))
        #expect(libcRead(directory("t/y")) == Array("y\n".utf8))
        // A link in the way is replaced (both links lead to t/x: no file is
        // lost), and a file another link leads to is replaced as ever.
        #expect(try shell("readlink '\(root)/t/l'").text == "x\n")
        #expect(try shell("readlink '\(root)/t/to-other'").text == "other\n")
        #expect(try shell("cd '\(root)' && cp -aT s t").status == 1)
    }

    /// -x: a directory on another file system is made, with the mounted
    /// directory's metadata, and left empty, as cp -ax leaves it; a source
    /// that is itself on another file system is copied whole.
    @Test(arguments: allBackends)
    func oneFileSystemLeavesMountPointsEmptyLikeCp(backend: Backend) throws {
        let directory = TemporaryDirectory("copy-cli-one-file-system")
        let root = directory.path.string
        try runScript("cd '\(root)' && mkdir -p s/sub s/mnt && echo a > s/a && echo b > s/sub/b")
        let mounted = try runProcess(["/bin/mount", "-t", "tmpfs", "-o", "size=1m,mode=1751", "tmpfs", "\(root)/s/mnt"])
        if mounted.status != 0 {
            try Test.cancel("cannot mount a tmpfs here (\(mounted.errors)); -x is not tested")
        }
        defer { _ = try? runProcess(["/bin/umount", "\(root)/s/mnt"]) }
        try runScript("cd '\(root)' && echo in > s/mnt/inside && mkdir s/mnt/deeper && ln -s mnt s/link")
        let copy = { (arguments: String) in try copyInShell(arguments, in: root, backend: backend) }
        let listing = { (tree: String) in
            try shell("cd '\(root)/\(tree)' && find . -printf '%p %y %m %s\\n' | sort").text
        }
        #expect(try copy("-x s ours").status == 0)
        try runScript("cd '\(root)' && cp -ax s theirs")
        #expect(try listing("ours") == listing("theirs"))
        #expect(try listing("ours").contains("./mnt d 1751 "))
        #expect(libcStat(directory("ours/mnt/inside")) == nil)
        #expect(libcRead(directory("ours/sub/b")) == Array("b\n".utf8))
        // -L follows the link into the mount: the link's copy is a mount point too.
        #expect(try copy("-x -L s ours-followed").status == 0)
        try runScript("cd '\(root)' && cp -axL s theirs-followed")
        #expect(try listing("ours-followed") == listing("theirs-followed"))
        #expect(libcStat(directory("ours-followed/link/inside")) == nil)
        // The mount itself, named as the source, is copied whole.
        #expect(try copy("-x s/mnt whole").status == 0)
        #expect(libcRead(directory("whole/inside")) == Array("in\n".utf8))
        // Without -x, everything.
        #expect(try copy("s all").status == 0)
        #expect(libcRead(directory("all/mnt/inside")) == Array("in\n".utf8))
    }

    @Test(arguments: allBackends)
    func socketsAreSkippedWithAWarning(backend: Backend) throws {
        let directory = TemporaryDirectory("copy-cli-socket")
        let root = directory.path.string
        mkdir(directory("source").string, 0o755)
        writeFile(directory("source/file"), [5])
        close(try #require(bindUnixSocket(at: "\(root)/source/socket")))
        let result = try copy(["\(root)/source", "\(root)/copy"], backend: backend)
        #expect(result.status == 0)
        #expect(
            result.errors.contains("fsring: copy: skipping '\(root)/source/socket': a socket cannot be copied"),
            "\(result.errors)")
        #expect(libcRead(directory("copy/file")) == [5])
        #expect(libcStat(directory("copy/socket")) == nil)
    }

    /// When the first of a hard-link group cannot be copied, the next is
    /// copied in its place, made unnamed in its own directory: not in the
    /// current one, which may be on another file system (it was, and the
    /// link then failed with EXDEV).
    @Test(arguments: allBackends)
    func aHardLinkCopiedInsteadOfItsGroupIsMadeInItsDirectory(backend: Backend) throws {
        let directory = TemporaryDirectory("copy-cli-instead")
        let root = directory.path.string
        let setup = try shell("cd '\(root)' && mkdir source copy && echo data > source/a && ln source/a source/b")
        #expect(setup.status == 0)
        // The first listed is the group's first: a directory in its way makes it fail.
        let first = try shell("ls -U '\(root)/source' | head -1 | tr -d '\\n'").text
        let second = first == "a" ? "b" : "a"
        mkdir(directory("copy/\(first)").string, 0o755)
        // The current directory on another file system where there is one.
        let elsewhere = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/"
        let result = try shell(
            "cd \(elsewhere) && FSRING_BACKEND=\(backend.rawValue) '\(fsringExecutable)' copy -j 1 -T "
                + "'\(root)/source' '\(root)/copy' 2>&1")
        #expect(result.status == 1)
        #expect(result.text.contains("cannot overwrite a directory with a non-directory"), "\(result.text)")
        #expect(result.text.contains("1 entry failed"), "\(result.text)")
        #expect(libcRead(directory("copy/\(second)")) == Array("data\n".utf8))
    }

    @Test(arguments: allBackends)
    func anUnreadableFileIsReportedAsAnUnprivilegedUser(backend: Backend) throws {
        let directory = try directoryForNobody("copy-cli-eacces")
        let root = directory.path.string
        let setup = try shell(
            "cd '\(root)' && mkdir source && echo ok > source/readable && echo no > source/secret "
                + "&& chmod 000 source/secret && mkdir source/closed && echo x > source/closed/inside "
                + "&& chmod 000 source/closed && chown -R 65534:65534 source && chmod 777 . "
                + "&& echo root > source/owned-by-root && chmod 644 source/owned-by-root "
                + "&& echo s > source/setuid-of-root && chmod 4755 source/setuid-of-root "
                + "&& echo g > source/setgid-of-root && chmod 2755 source/setgid-of-root "
                + "&& echo t > source/sticky-file-of-root && chmod 1755 source/sticky-file-of-root "
                + "&& mkdir -m 1777 source/sticky-of-root && mkdir -m 2755 source/setgid-dir-of-root "
                + "&& echo n > source/setuid-of-nobody && chown 65534:65534 source/setuid-of-nobody "
                + "&& chmod 4755 source/setuid-of-nobody")
        #expect(setup.status == 0)
        let result = try runAsNobody(
            [fsringExecutable, "copy", "\(root)/source", "\(root)/copy"],
            environment: ["FSRING_BACKEND": backend.rawValue])
        #expect(result.status == 1)
        #expect(result.errors.contains("open '\(root)/source/secret': Permission denied (EACCES)"), "\(result.errors)")
        #expect(result.errors.contains("open '\(root)/source/closed': Permission denied (EACCES)"))
        #expect(result.errors.contains("2 entries failed"))
        #expect(libcRead(directory("copy/readable")) == Array("ok\n".utf8))
        #expect(libcStat(directory("copy/secret")) == nil)
        // Owners that cannot be kept become the copier's, silently (as cp).
        #expect(libcStat(directory("copy/owned-by-root")).map { $0.st_uid } == 65534)
        #expect(libcRead(directory("copy/owned-by-root")) == Array("root\n".utf8))
        // The unreadable directory is still made, with its mode, as cp does.
        #expect(libcStat(directory("copy/closed")).map { $0.st_mode & 0o777 } == 0)
        // A copy whose owner could not be kept loses setuid and setgid (a
        // file its sticky bit too), as with cp: root's setuid program must
        // not become nobody's.
        let modes: [(String, UInt32)] = [
            ("setuid-of-root", 0o755), ("setgid-of-root", 0o755), ("sticky-file-of-root", 0o755),
            ("sticky-of-root", 0o1777), ("setgid-dir-of-root", 0o755), ("setuid-of-nobody", 0o4755),
        ]
        for (name, mode) in modes {
            #expect(libcStat(directory("copy/\(name)")).map { $0.st_mode & 0o7777 } == mode, "\(name)")
        }
        mkdir(directory("by-cp").string, 0o777)
        chmod(directory("by-cp").string, 0o777)
        _ = try runAsNobody(["/bin/cp", "-a"] + modes.map { "\(root)/source/\($0.0)" } + ["\(root)/by-cp/"])
        for (name, _) in modes {
            let theirs = libcStat(directory("by-cp/\(name)")).map { $0.st_mode }
            #expect(libcStat(directory("copy/\(name)")).map { $0.st_mode } == theirs, "\(name) as cp")
        }
    }

    /// A new tree is written under a temporary name beside its own and
    /// renamed into place when done. SIGTERM (or SIGINT, which the shell
    /// here makes background jobs ignore) stops the copy cleanly: what is
    /// whole is renamed into place, nothing cut short is left under any
    /// name, directories get their metadata, and the exit status is 143.
    @Test(arguments: allBackends)
    func aStoppedCopyPublishesWhatIsWhole(backend: Backend) throws {
        let directory = TemporaryDirectory("copy-cli-sigint")
        let root = directory.path.string
        mkdir(directory("source").string, 0o750)
        for folder in 1...40 {
            mkdir(directory("source/d\(folder)").string, 0o755)
            for file in 1...100 {
                let bytes = randomBytes(file * 400, seed: UInt64(folder * 1000 + file))
                writeFile(directory("source/d\(folder)/f\(file)"), bytes)
            }
        }
        #expect(try shell("cd '\(root)/source' && chmod 750 . && touch -d 2002-02-02 . d*").status == 0)
        var interrupted = 0
        for attempt in 0..<3 {
            let destination = "\(root)/copy-\(attempt)"
            // SIGTERM once the copy's temporary top has files, unless it is done by then.
            let result = try shell(
                "cd '\(root)' || exit 1; FSRING_BACKEND=\(backend.rawValue) '\(fsringExecutable)' copy -j 2 source "
                    + "'\(destination)' 2> errors & pid=$!; "
                    + "for i in $(seq 1 500); do "
                    + "[ $(find .fsring-*.tmp -type f 2>/dev/null | head -20 | wc -l) -ge 20 ] && break; "
                    + "kill -0 $pid 2>/dev/null || break; sleep 0.01; done; kill -TERM $pid 2>/dev/null; "
                    + "wait $pid; echo \"status $?\"; cat errors")
            let status = result.text.split(separator: "\n").first { $0.hasPrefix("status ") }
            // Whatever happened: no temporary tree is left, every file there is whole.
            #expect(try shell("ls -A '\(root)' | grep -c fsring").text == "0\n", "\(result.text)")
            let check = try shell(
                "cd '\(destination)' && for f in $(find . -type f); do "
                    + "cmp -s \"$f\" '\(root)/source/'\"$f\" || echo \"bad: $f\"; done")
            #expect(check.text.isEmpty, "\(check.text)")
            #expect(libcStat(FilePath(destination)).map { $0.st_mode & 0o777 } == 0o750)
            #expect(libcStat(FilePath(destination)).map { $0.st_mtim.tv_sec } == 1_012_608_000)
            if status == "status 143" {
                interrupted += 1
                #expect(try shell("find '\(destination)' -type f | wc -l").text != "0\n")
                #expect(result.text.contains("fsring: copy: interrupted (SIGTERM) after "), "\(result.text)")
            } else {
                #expect(status == "status 0", "\(result.text)")
            }
        }
        #expect(interrupted > 0)
    }

    @Test(arguments: allBackends)
    func aKilledCopyLeavesNoTruncatedFileUnderAFinalName(backend: Backend) throws {
        let directory = TemporaryDirectory("copy-cli-killed")
        let root = directory.path.string
        let setup = try shell(
            "cd '\(root)' && mkdir source && for i in $(seq 1 40); do head -c 3000000 /dev/urandom > source/file-$i; done"
        )
        #expect(setup.status == 0)
        // Kill the copy at several moments, into a new tree (written under a
        // temporary name) and into an existing one (each file unnamed until
        // linked in); whatever is under the destination must be whole.
        for (attempt, delay) in ["0.05", "0.1", "0.2", "0.4"].enumerated() {
            for existing in [false, true] {
                let destination = "\(root)/copy-\(attempt)-\(existing)"
                if existing { mkdir(destination, 0o755) }
                _ = try shell(
                    "FSRING_BACKEND=\(backend.rawValue) '\(fsringExecutable)' copy -j 2 -T '\(root)/source' "
                        + "'\(destination)' & sleep \(delay); kill -9 $!; wait $! 2>/dev/null; true")
                let check = try shell(
                    "cd '\(destination)' 2>/dev/null || exit 0; for f in *; do [ -e \"$f\" ] || continue; "
                        + "cmp -s \"$f\" '\(root)/source/'\"$f\" || echo \"truncated: $f\"; done")
                #expect(check.text.isEmpty, "\(check.text)")
            }
        }
    }

    /// A read-only file at the destination: replaced by default (never
    /// opened), refused with --inplace (it must be opened, as cp opens it),
    /// removed and made again with --inplace -f (as with cp -f).
    @Test(arguments: allBackends)
    func forceReplacesFilesThatCannotBeOpenedLikeCp(backend: Backend) throws {
        let directory = try directoryForNobody("copy-cli-force")
        let root = directory.path.string
        // Read-only files of nobody's and of root's, in a folder nobody may write in.
        let targets = ["plain", "inplace", "forced", "by-cp", "by-cp-forced"]
        try runScript(
            "cd '\(root)' && echo new > source && chown 65534 source "
                + targets.map { "&& echo old > \($0) && echo old > \($0)-root && chmod 444 \($0) \($0)-root " }.joined()
                + "&& chown 65534 " + targets.joined(separator: " "))
        let fsring = { (options: [String], target: String) in
            try runAsNobody(
                [fsringExecutable, "copy"] + options + ["\(root)/source", "\(root)/\(target)"],
                environment: ["FSRING_BACKEND": backend.rawValue])
        }
        let cp = { (options: [String], target: String) in
            try runAsNobody(["/bin/cp"] + options + ["\(root)/source", "\(root)/\(target)"])
        }
        for owner in ["", "-root"] {
            // Without --inplace every file is replaced by a new one: -f changes nothing.
            #expect(try fsring([], "plain\(owner)").status == 0)
            #expect(libcRead(directory("plain\(owner)")) == Array("new\n".utf8))
            // Written in place, the file must be opened: refused, as cp is refused.
            let refused = try fsring(["--inplace"], "inplace\(owner)")
            #expect(refused.status == 1)
            #expect(refused.errors.contains("open '\(root)/inplace\(owner)': Permission denied (EACCES)"))
            #expect(libcRead(directory("inplace\(owner)")) == Array("old\n".utf8))
            #expect(try cp([], "by-cp\(owner)").status == 1)
            // -f: removed and made again, as with cp -f.
            #expect(try fsring(["--inplace", "-f"], "forced\(owner)").status == 0)
            #expect(try cp(["-f"], "by-cp-forced\(owner)").status == 0)
            #expect(libcRead(directory("forced\(owner)")) == Array("new\n".utf8))
            #expect(libcRead(directory("by-cp-forced\(owner)")) == Array("new\n".utf8))
            #expect(libcStat(directory("forced\(owner)"))?.st_uid == 65534)
        }
    }

    /// As an unprivileged user, into existing directories, where each file
    /// is written unnamed and linked in by its descriptor (which older
    /// kernels allow only with CAP_DAC_READ_SEARCH; emulated, the link goes
    /// through /proc): the same tree as cp -a makes as that user.
    @Test(arguments: allBackends)
    func anUnprivilegedCopyIntoAnExistingTreeMatchesCp(backend: Backend) throws {
        let directory = try directoryForNobody("copy-cli-nobody-existing")
        let root = directory.path.string
        try runScript(
            "cd '\(root)' && mkdir -p source/dir/sub ours plain theirs && cd source && echo hello > dir/file "
                + "&& ln dir/file dir/hard && ln -s ../file dir/sub/up && mkfifo dir/fifo "
                + "&& head -c 200000 /dev/urandom > dir/sub/random && chmod 0640 dir/sub/random "
                + "&& setfattr -n user.note -v kept dir/file && touch -d '2001-02-03 04:05:06.7' dir/file dir "
                + "&& chown -R 65534:65534 '\(root)/source' '\(root)/ours' '\(root)/plain' '\(root)/theirs'")
        let theirs = try runAsNobody(["/bin/cp", "-a", "-T", "\(root)/source", "\(root)/theirs"])
        #expect(theirs.status == 0, "\(theirs.errors)")
        let copy = [fsringExecutable, "copy", "-T", "\(root)/source"]
        for (name, prefix) in [("plain", []), ("ours", [refusingSyscallsExecutable, "link-by-descriptor"])] {
            let ours = try runAsNobody(
                prefix + copy + ["\(root)/\(name)"], environment: ["FSRING_BACKEND": backend.rawValue])
            #expect(ours.status == 0, "\(name): \(ours.errors)")
            try expectSameTree(directory(name), as: directory("theirs"), name)
        }
    }

    /// A FIFO or a device in the way of a file is replaced by it, never
    /// opened: also with --inplace, where opening the FIFO would wait for a
    /// reader that never comes (past SIGTERM), and the device would take
    /// the bytes. The copy runs under `timeout`, so a wait fails the test.
    @Test(arguments: allBackends)
    func specialFilesInTheWayAreReplacedNotWrittenInto(backend: Backend) throws {
        try #require(getuid() == 0, "needs root to make a device node")
        let directory = TemporaryDirectory("copy-cli-special-in-the-way")
        let root = directory.path.string
        for inPlace in [false, true] {
            try runScript(
                "cd '\(root)' && rm -rf source target && mkdir source target && echo fifo > source/fifo "
                    + "&& echo device > source/device && mkfifo target/fifo && mknod target/device c 1 3")
            let result = try shell(
                "FSRING_BACKEND=\(backend.rawValue) timeout -s KILL 20 '\(fsringExecutable)' copy "
                    + "\(inPlace ? "--inplace " : "")-T '\(root)/source' '\(root)/target'", standardError: true)
            #expect(result.status == 0, "inPlace: \(inPlace): \(result.text)")
            for name in ["fifo", "device"] {
                let type = libcStat(directory("target/\(name)"), followLinks: false).map { $0.st_mode & S_IFMT }
                #expect(type == S_IFREG, "\(name), inPlace: \(inPlace)")
                // (Reading a FIFO still there would wait for a writer.)
                if type == S_IFREG { #expect(libcRead(directory("target/\(name)")) == Array("\(name)\n".utf8)) }
            }
        }
    }

    /// With -L, links are copied as what they point at, as cp -aL copies
    /// them: a link to a directory becomes a directory (and its files join
    /// their hard-link groups), dangling and looping links fail with the
    /// reason, and the status says so.
    @Test(arguments: allBackends)
    func followingLinksMatchesCp(backend: Backend) throws {
        let directory = TemporaryDirectory("copy-cli-follow")
        let root = directory.path.string
        try runScript(
            "cd '\(root)' && mkdir -p source/dir/sub && cd source && echo hello > dir/file && ln dir/file dir/hard "
                + "&& ln -s ../file dir/sub/up && ln -s ../dir/file dir/sub/dangling && ln -s /nonexistent/x gone "
                + "&& ln -s loop-b loop-a && ln -s loop-a loop-b && ln -s dir directory-link")
        let ours = try copy(["-L", "\(root)/source", "\(root)/ours"], backend: backend)
        let theirs = try shell("cp -aL '\(root)/source' '\(root)/theirs'", standardError: true)
        #expect(ours.status == 1 && theirs.status == 1, "\(ours.errors)\n\(theirs.text)")
        #expect(ours.errors.contains("fsring: copy: 5 entries failed"), "\(ours.errors)")
        for failed in ["gone", "loop-a", "loop-b", "dir/sub/dangling", "directory-link/sub/dangling"] {
            #expect(ours.errors.contains("'\(root)/source/\(failed)'"), "\(failed): \(ours.errors)")
        }
        try expectSameTree(directory("ours"), as: directory("theirs"))
        // dir/file, dir/hard, dir/sub/up, and the same three through directory-link.
        #expect(libcStat(directory("ours/dir/file")).map { $0.st_nlink } == 6)
    }

    /// Each `--no-preserve` name drops what cp -a's drops, on a tree with
    /// every kind of entry.
    @Test(arguments: allBackends)
    func noPreserveMatchesCp(backend: Backend) throws {
        let directory = TemporaryDirectory("copy-cli-no-preserve")
        let source = makeSourceDirectory(in: directory)
        try makeEveryKindOfEntry(in: source)
        for dropped in ["mode", "ownership", "timestamps", "links", "xattr", "all"] {
            let ours = directory("ours-\(dropped)")
            let theirs = directory("theirs-\(dropped)")
            let result = try copy(["--no-preserve=\(dropped)", source.string, ours.string], backend: backend)
            #expect(result.status == 0, "\(dropped): \(result.errors)")
            try runScript("cp -a --no-preserve=\(dropped) '\(source.string)' '\(theirs.string)'")
            let withTimes = dropped != "timestamps" && dropped != "all"
            try expectSameTree(ours, as: theirs, withTimes: withTimes, "--no-preserve=\(dropped)")
        }
    }

    /// A second copy over the first, after the source changed, leaves what
    /// cp -a leaves: changed files and links replaced, hard-link groups
    /// whole, FIFOs and devices kept, directories merged and given the
    /// source's metadata again.
    @Test(arguments: allBackends)
    func copyingAgainOverACopyMatchesCp(backend: Backend) throws {
        let directory = TemporaryDirectory("copy-cli-again")
        let source = makeSourceDirectory(in: directory)
        try makeEveryKindOfEntry(in: source)
        let ours = directory("ours").string
        let theirs = directory("theirs").string
        for round in 0..<2 {
            if round == 1 {
                try runScript(
                    "cd '\(source.string)' && echo changed > dir/file && touch -d '2011-11-11 11:11:11.5' dir/file "
                        + "&& ln -sfn ../../elsewhere dir/sub/relative-link && chmod 0640 dir/size-1 "
                        + "&& echo new > dir/new-file && rm dir/size-4095 && mkdir dir/new-dir "
                        + "&& touch -d '2012-12-12' dir")
            }
            let result = try copy(["-T", source.string, ours], backend: backend)
            #expect(result.status == 0, "\(result.errors)")
            try runScript("cp -a -T '\(source.string)' '\(theirs)'")
        }
        try expectSameTree(directory("ours"), as: directory("theirs"))
    }

    /// `-u` and `-n` over an earlier copy, after the source changed (one
    /// file newer, one older than its copy, one new), leave what cp -a's
    /// leave, and so do newer coreutils' `--update=older|all|none`;
    /// `--update=none-fail` keeps what -n keeps, each entry kept a failure.
    @Test(arguments: allBackends)
    func updateAndNoClobberOverACopyMatchCp(backend: Backend) throws {
        let directory = TemporaryDirectory("copy-cli-update-again")
        let source = makeSourceDirectory(in: directory)
        try makeEveryKindOfEntry(in: source)
        let first = try copy(["-T", source.string, directory("first").string], backend: backend)
        #expect(first.status == 0, "\(first.errors)")
        try runScript(
            "cd '\(source.string)' && echo changed > dir/size-1 && touch -d '2030-03-03' dir/size-1 "
                + "&& echo older > owned && touch -d '1990-01-01' owned && echo new > dir/new-file")
        for (flag, cpFlag) in [
            ("-u", "-u"), ("-n", "-n"), ("--update", "-u"), ("--update=older", "-u"), ("--update=none", "-n"),
            ("--update=all", "-T"), ("--update=none-fail", "-n"),
        ] {
            let ours = directory("ours\(flag)").string
            let theirs = directory("theirs\(flag)").string
            try runScript(
                "cp -a '\(directory("first").string)' '\(ours)' && cp -a '\(directory("first").string)' '\(theirs)'")
            let result = try copy([flag, "-T", source.string, ours], backend: backend)
            try runScript("cp -a \(cpFlag) -T '\(source.string)' '\(theirs)'")
            try expectSameTree(FilePath(ours), as: FilePath(theirs), flag)
            if flag == "--update=none-fail" {
                #expect(result.status == 1)
                #expect(result.errors.contains("copy '\(ours)/dir/size-1': exists; not replaced"))
                #expect(!result.errors.contains("new-file"))
            } else {
                #expect(result.status == 0, "\(flag): \(result.errors)")
            }
        }
        for (flag, reason) in [
            ("--update=no", "ambiguous --update 'no'"), ("--update=x", "invalid --update 'x'"),
            ("--update=", "invalid --update ''"), ("-n --update=all", "cannot be combined"),
            ("--backup --update=none", "--backup cannot be combined with --no-clobber or --update=none"),
        ] {
            let refused = try copy(
                flag.split(separator: " ").map(String.init) + [source.string, "x"], backend: backend)
            #expect(refused.status == 2 && refused.errors.contains(reason), "\(flag): \(refused.errors)")
        }
        // What each kept or took, to be sure the comparison saw both policies at work.
        #expect(libcRead(directory("ours-u/dir/size-1")) == Array("changed\n".utf8))
        #expect(libcRead(directory("ours-u/owned")) == Array("owned\n".utf8))
        #expect(libcRead(directory("ours-n/dir/size-1")) != Array("changed\n".utf8))
        #expect(libcRead(directory("ours-n/dir/new-file")) == Array("new\n".utf8))
    }

    /// Where a way of naming a finished file is refused (linkat with
    /// AT_EMPTY_PATH by older kernels to a caller without
    /// CAP_DAC_READ_SEARCH; /proc/self/fd where /proc is not mounted;
    /// O_TMPFILE by some file systems), the first file finds out and the
    /// copy names its files another way, as faithfully as cp -a, leaving
    /// nothing behind and counting each byte once. The copies go into
    /// existing directories, where every file is named at the end (a new
    /// tree is written under a temporary name instead). Where
    /// copy_file_range is refused (sandboxes that do not know it), the
    /// bytes go through reads and writes, holes kept, in the same way.
    @Test(arguments: allBackends, ["link-by-descriptor", "unnamed-links", "tmpfile", "copy-file-range"])
    func filesAreNamedAnotherWayWhereAWayIsRefused(backend: Backend, refused: String) throws {
        let directory = TemporaryDirectory("copy-cli-refused")
        let source = makeSourceDirectory(in: directory)
        try makeEveryKindOfEntry(in: source)
        for name in ["ours", "theirs", "usual"] { mkdir(directory(name).string, 0o755) }
        let refusing = [refusingSyscallsExecutable, refused, fsringExecutable, "copy"]
        let environment = ["FSRING_BACKEND": backend.rawValue]
        let ours = try runProcess(
            refusing + ["--json", "-j", "2", "-T", source.string, directory("ours").string], environment: environment)
        #expect(ours.status == 0, "\(ours.errors)")
        try runScript("cp -a -T '\(source.string)' '\(directory("theirs").string)'")
        try expectSameTree(directory("ours"), as: directory("theirs"))
        let usual = try copy(["--json", "-T", source.string, directory("usual").string], backend: backend)
        #expect(usual.status == 0, "\(usual.errors)")
        try expectSameTree(directory("usual"), as: directory("theirs"))
        let bytes = { (output: [UInt8]) in
            String(decoding: output, as: UTF8.self).split(separator: ",").first { $0.hasPrefix("\"bytes\":") }
        }
        #expect(bytes(ours.standardOutput) != nil)
        #expect(bytes(ours.standardOutput) == bytes(usual.standardOutput))
        // One file: onto an existing one (replaced), and with -n (kept).
        writeFile(directory("ours/replaced"), [0])
        writeFile(directory("ours/kept"), [0])
        let file = directory("source/dir/size-4097").string
        let replaced = try runProcess(
            refusing + ["--json", file, directory("ours/replaced").string], environment: environment)
        #expect(replaced.status == 0, "\(replaced.errors)")
        #expect(bytes(replaced.standardOutput) == "\"bytes\":4097")
        let sameBytes = libcRead(directory("ours/replaced")) == libcRead(directory("source/dir/size-4097"))
        #expect(sameBytes)
        let sourceTime = try #require(libcStat(directory("source/dir/size-4097"))).st_mtim
        let copyTime = try #require(libcStat(directory("ours/replaced"))).st_mtim
        #expect(copyTime.tv_sec == sourceTime.tv_sec && copyTime.tv_nsec == sourceTime.tv_nsec)
        let kept = try runProcess(refusing + ["-n", file, directory("ours/kept").string], environment: environment)
        #expect(kept.status == 0, "\(kept.errors)")
        #expect(libcRead(directory("ours/kept")) == [0])
        let leftovers = try shell("find '\(directory("ours").string)' -name '.fsring-*'").text
        #expect(leftovers.isEmpty, "\(leftovers)")
    }
}
