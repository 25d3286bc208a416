import FSRing
import FSRingTestSupport
import Glibc
import Testing

extension CopyCommandTests {
    /// --backup keeps what a copy replaces as cp --backup does: simple,
    /// numbered and existing names (`.~07~` is no number, numbers beyond 64
    /// bits go on), -b and -S, VERSION_CONTROL and SIMPLE_BACKUP_SUFFIX,
    /// files, links, FIFOs and hard links in the way, --inplace, and a file
    /// copied onto another of its names or (with -f) onto itself; directories
    /// are merged into, not backed up. Every run is made by both tools in
    /// sandboxes alike, and the listings and the trees must match.
    @Test(arguments: allBackends)
    func backupsAreMadeLikeCp(backend: Backend) throws {
        let directory = TemporaryDirectory("copy-cli-backup")
        let root = directory.path.string
        // A name as long as a name can be, whose backup's name is too long.
        let long = String(repeating: "n", count: 255)
        let start = [
            "mkdir far", "echo 1 > \(long)", "echo 2 > far/\(long)",
            "mkdir -p s/d dest/s/d", "echo new > s/f", "echo new > s/d/g", "ln -s f s/l", "ln s/f s/h", "mkfifo s/fifo",
            "for n in f d/g l h fifo; do echo old > dest/s/$n; done", "echo older > dest/s/d/g.~1~",
            "echo older > dest/s/d/g.~07~", "touch dest/s/f~", "echo 1 > a", "ln a hard", "echo 2 > b",
            "echo 3 > b~", "echo 4 > c", "echo 5 > c.~99999999999999999999~",
        ].joined(separator: " && ")
        try runScript("cd '\(root)' && for t in ours theirs; do mkdir $t && (cd $t && \(start)) || exit 1; done")
        let cases: [(environment: String, arguments: String)] = [
            ("", "--backup -T s dest/s"), ("", "--backup=numbered -T s dest/s"), ("", "-b --inplace -T s dest/s"),
            ("", "-S .bak a b"), ("VERSION_CONTROL=numbered ", "-b a b"),
            ("SIMPLE_BACKUP_SUFFIX=.old ", "--backup=si a b"),
            ("VERSION_CONTROL=never ", "--backup=numbered a b"), ("", "--backup=none a b"), ("", "--backup=t a c"),
            ("", "-b a hard"), ("", "-f --backup a a"), ("", "-f --backup a a"), ("", "-f --backup=t a a"),
        ]
        for (environment, arguments) in cases {
            // (cp has no --inplace: it always writes in place.)
            let cpArguments = arguments.replacingOccurrences(" --inplace", "")
            let theirs = try shell("cd '\(root)/theirs' && \(environment)cp -av \(cpArguments)", standardError: true)
            let ours = try copyInShell("-v \(arguments)", in: "\(root)/ours", backend: backend, before: environment)
            #expect(ours.status == 0 && theirs.status == 0, "\(arguments): \(ours.text)")
            let lines = { (text: String) in text.split(separator: "\n").sorted() }
            #expect(lines(ours.text) == lines(theirs.text), "\(environment)\(arguments)")
        }
        try expectSameTree(directory("ours"), as: directory("theirs"), withTimes: false)
        #expect(libcRead(directory("ours/dest/s/d/g.~2~")) == Array("old\n".utf8))
        #expect(libcRead(directory("ours/c.~100000000000000000000~")) == Array("4\n".utf8))
        #expect(libcRead(directory("ours/a.~1~")) == Array("1\n".utf8))

        // Refused, with cp's reasons: a backup that would replace the
        // source, a file onto its own name without -f, and backups with
        // --no-clobber or of a kind that is not one.
        let ours = { (arguments: String, environment: String) in
            try copyInShell(arguments, in: "\(root)/ours", backend: backend, before: environment)
        }
        let ontoSource = try ours("--backup=simple b~ b", "")
        #expect(ontoSource.status == 1)
        #expect(ontoSource.text.contains("back up 'b': its backup would replace the source, 'b~'; not copied"))
        #expect(libcRead(directory("ours/b~")) == Array("3\n".utf8))
        // Onto its own name written another way, or without -f.
        for arguments in ["--backup a a", "-f --backup a ./a", "--backup ./a a"] {
            let ontoItself = try ours(arguments, "")
            let theirs = try shell("cd '\(root)/theirs' && cp \(arguments)", standardError: true)
            #expect(ontoItself.status == 1 && theirs.status == 1, "\(arguments)")
            #expect(ontoItself.text.contains("are the same file") && theirs.text.contains("are the same file"))
        }
        // A backup's name too long is a failure of the entry, as for cp's
        // simple backups (cp shortens a numbered one's name; fsring does not
        // make up a name that may be another file's).
        let simpleTooLong = try shell("cd '\(root)/theirs' && cp --backup=simple \(long) far/", standardError: true)
        #expect(simpleTooLong.status == 1 && simpleTooLong.text.contains("File name too long"))
        for kind in ["simple", "numbered"] {
            let tooLong = try ours("--backup=\(kind) \(long) far/", "")
            #expect(tooLong.status == 1 && tooLong.text.contains("File name too long (ENAMETOOLONG)"), "\(kind)")
        }
        #expect(libcRead(directory("ours/far/\(long)")) == Array("2\n".utf8))
        for (arguments, environment, reason) in [
            ("-n --backup a b", "", "--backup cannot be combined with --no-clobber"),
            ("--backup=n a b", "", "ambiguous backup kind 'n' in --backup"),
            ("--backup=foo a b", "", "invalid backup kind 'foo' in --backup"),
            ("-b a b", "VERSION_CONTROL=bogus ", "invalid backup kind 'bogus' in VERSION_CONTROL"),
        ] {
            let refused = try ours(arguments, environment)
            #expect(refused.status == 2 && refused.text.contains(reason), "\(arguments): \(refused.text)")
        }
        try expectSameTree(directory("ours"), as: directory("theirs"), withTimes: false, "after the refusals")
    }
}

extension CopyCommandTests {
    /// -i asks before each entry in the way is replaced, as cp -i asks: an
    /// answer starting with y replaces it, any other or the end of the input
    /// keeps it, a hard link in the way is asked about too, a dry run asks
    /// nothing, and -n and -i override each other, the later one winning.
    /// Each way is run by both tools on copies of one tree and must leave
    /// the same tree after the same number of questions.
    @Test(arguments: allBackends)
    func interactiveAsksBeforeReplacingLikeCp(backend: Backend) throws {
        let directory = try sandbox(
            "copy-cli-interactive",
            "mkdir -p s/d origin/d && for n in a b d/c h1; do echo new > s/$n; done && ln s/h1 s/h2 && "
                + "for n in a d/c h1 h2; do echo old > origin/$n; done && touch -d 2001-01-01 origin/a")
        let root = directory.path.string
        for (name, input) in [("yes", "yes | "), ("no", "yes n | "), ("none", "true | ")] {
            try runScript("cd '\(root)' && cp -a origin ours-\(name) && cp -a origin theirs-\(name)")
            let ours = try copyInShell("-i -T s ours-\(name)", in: root, backend: backend, before: input)
            let theirs = try shell("cd '\(root)' && \(input)cp -ai -T s theirs-\(name)", standardError: true)
            #expect(ours.status == 0 && theirs.status == 0, "\(name): \(ours.text)")
            let questions = { (text: String) in text.ranges(of: "overwrite '").count }
            #expect(questions(ours.text) == 4 && questions(theirs.text) == 4, "\(name): \(ours.text) \(theirs.text)")
            try expectSameTree(directory("ours-\(name)"), as: directory("theirs-\(name)"), name)
        }
        #expect(libcRead(directory("ours-yes/h2")) == Array("new\n".utf8))
        #expect(libcRead(directory("ours-no/a")) == Array("old\n".utf8))
        #expect(libcRead(directory("ours-none/d/c")) == Array("old\n".utf8))

        // One file: the answer decides; a dry run and -n (given last) ask nothing.
        let one = { (options: String, input: String) in
            try runScript("cd '\(root)' && echo old > one")
            let result = try copyInShell("\(options) s/a one", in: root, backend: backend, before: input)
            #expect(result.status == 0, "\(options): \(result.text)")
            return (result.text.contains("fsring: copy: overwrite 'one'? "), libcRead(directory("one")))
        }
        #expect(try one("-i", "echo Yes | ") == (true, Array("new\n".utf8)))
        #expect(try one("-i", "echo nope | ") == (true, Array("old\n".utf8)))
        #expect(try one("-n -i", "echo y | ") == (true, Array("new\n".utf8)))
        #expect(try one("-i -n", "echo y | ") == (false, Array("old\n".utf8)))
        #expect(try one("-i --dry-run", "echo y | ") == (false, Array("old\n".utf8)))
    }
}
