import FSRing
import FSRingHash
import FSRingTestSupport
import Glibc
import SystemPackage
import Testing

@Suite("fsring hash", .serialized)
struct HashCommandTests {
    let fsring = fsringExecutable

    /// `fsring hash` prints what the tool prints for the same files, byte for byte.
    @Test(arguments: [("sha256", "sha256sum"), ("sha512", "sha512sum"), ("sha1", "sha1sum"), ("md5", "md5sum")])
    func outputEqualsCoreutils(algorithm: String, tool: String) throws {
        let scratch = TemporaryDirectory("gnu")
        _ = makeHashTree(scratch.path.string)
        let ours = try shell("cd '\(scratch.path.string)' && '\(fsring)' hash -a \(algorithm) .")
        #expect(ours.status == 0)
        // find | sort by bytes | the tool, with the same relative names.
        let theirs = try shell(
            "cd '\(scratch.path.string)' && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 \(tool)")
        #expect(ours.output == theirs.output)
        let tagged = try shell("cd '\(scratch.path.string)' && '\(fsring)' hash --tag -a \(algorithm) .")
        let theirsTagged = try shell(
            "cd '\(scratch.path.string)' && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 \(tool) --tag")
        #expect(tagged.output == theirsTagged.output)
    }

    /// A file named directly is listed as it was written (`d//f`, `d/./f`),
    /// as sha256sum lists it, not as a normalized path.
    @Test func filesNamedDirectlyAreListedAsWritten() throws {
        let scratch = TemporaryDirectory("spelled")
        let dir = scratch.path.string
        _ = try shell("mkdir '\(dir)/d' && echo spelled > '\(dir)/d/f'")
        // Given in byte order, which is the order fsring prints in.
        let names = "./d/f d/./f d//f"
        let ours = try shell("cd '\(dir)' && '\(fsring)' hash -a sha256 \(names)")
        #expect(ours.status == 0)
        #expect(ours.output == (try shell("cd '\(dir)' && sha256sum \(names)")).output)
    }

    /// -z: NUL-ended lines with names unescaped, byte for byte as
    /// `sha256sum -z` writes them; `-c -z` and `--audit -z` read them back.
    @Test func zeroEndedListsAreCoreutilsAndCheckBack() throws {
        let scratch = TemporaryDirectory("zero")
        let dir = scratch("tree").string
        _ = makeHashTree(dir)
        for tag in ["", "--tag"] {
            let ours = try shell("cd '\(dir)' && '\(fsring)' hash -z \(tag) -a sha256 .")
            let theirs = try shell(
                "cd '\(dir)' && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum -z \(tag)")
            let same = ours.output == theirs.output
            #expect(ours.status == 0)
            #expect(same, "hash -z \(tag): \(ours.text.debugDescription) against \(theirs.text.debugDescription)")
        }
        let list = scratch("list").string
        _ = try shell("cd '\(dir)' && '\(fsring)' hash -z -a sha256 . > '\(list)'")
        let check = try shell("cd '\(dir)' && '\(fsring)' hash -c -z '\(list)'")
        #expect(check.status == 0, "\(check.text)")
        #expect(check.text.contains("./size-1023: OK\n"))
        #expect(check.text.contains("\\./with\\nnewline: OK\n"))
        #expect(try shell("cd '\(dir)' && '\(fsring)' hash --audit '\(list)' -z .").status == 0)
        // A file after the first changes: it is found.
        writeFile(Array("\(dir)/sub/deeper/size-1".utf8), Array("changed".utf8))
        let tampered = try shell("cd '\(dir)' && '\(fsring)' hash -c -z '\(list)'")
        #expect(tampered.status == 1)
        #expect(tampered.text.contains("./sub/deeper/size-1: FAILED\n"))
        // Read without -z, the list is not one line naming its first file.
        let unsplit = try shell("cd '\(dir)' && '\(fsring)' hash -c '\(list)' 2>&1")
        #expect(unsplit.status == 1)
        #expect(!unsplit.text.contains(": OK"))
        #expect(unsplit.text.contains("checksum lines found (its lines end with NUL: check it with -z)"))
    }

    @Test func checkRoundTripsWithTheTools() throws {
        let scratch = TemporaryDirectory("roundtrip")
        _ = makeHashTree(scratch.path.string, forB3sum: true)
        let dir = scratch.path.string
        for (algorithm, tool, checkFlag) in [("sha256", "sha256sum", "-c"), ("blake3", "b3sum", "--check")] {
            // Ours, verified by the tool.
            #expect(
                try shell(
                    "cd '\(dir)' && '\(fsring)' hash -a \(algorithm) . > /tmp/fsring-list-$$ && \(tool) \(checkFlag) --quiet /tmp/fsring-list-$$; s=$?; rm -f /tmp/fsring-list-$$; exit $s"
                ).status == 0, "\(tool) rejects fsring's list")
            // The tool's, verified by us.
            let check = try shell(
                "cd '\(dir)' && find . -type f -print0 | xargs -0 \(tool) > /tmp/fsring-list-$$ && '\(fsring)' hash -c /tmp/fsring-list-$$; s=$?; rm -f /tmp/fsring-list-$$; exit $s"
            )
            #expect(check.status == 0, "fsring rejects \(tool)'s list: \(check.text)")
            #expect(check.text.contains("./size-63: OK"))
        }
        // BSD tags, and XXH128 through xxh128sum's output.
        #expect(
            try shell(
                "cd '\(dir)' && sha512sum --tag sub/size-0 > /tmp/fsring-list-$$ && '\(fsring)' hash -c /tmp/fsring-list-$$; s=$?; rm -f /tmp/fsring-list-$$; exit $s"
            ).status == 0)
        #expect(
            try shell(
                "cd '\(dir)' && xxh128sum size-1023 > /tmp/fsring-list-$$ && '\(fsring)' hash -c /tmp/fsring-list-$$; s=$?; rm -f /tmp/fsring-list-$$; exit $s"
            ).status == 0)
    }

    /// An untagged list whose digests fit two algorithms may mix them (a
    /// b3sum list and a sha256sum list put together): each line is checked
    /// with the one the sample favours first and the other where that fails.
    @Test func checkListsMixingAlgorithmsOfOneLength() throws {
        let scratch = TemporaryDirectory("mixed")
        let dir = scratch.path.string
        for index in 0..<40 { writeFile(Array("\(dir)/f\(index)".utf8), Array("file \(index)".utf8)) }
        let made = try shell(
            "cd '\(dir)' && b3sum f1* > list && sha256sum f2* >> list && md5sum f3* > short "
                + "&& xxh128sum f0 >> short")
        try #require(made.status == 0)
        let check = try shell("cd '\(dir)' && '\(fsring)' hash -c list short")
        #expect(check.status == 0, "\(check.text)")
        #expect(check.text.split(separator: "\n").count == 11 + 11 + 11 + 1)
        #expect(!check.text.contains("FAILED"))
        // A changed file fails whichever algorithm its line was written with.
        writeFile(Array("\(dir)/f25".utf8), Array("changed".utf8))
        writeFile(Array("\(dir)/f12".utf8), Array("changed".utf8))
        let tampered = try shell("cd '\(dir)' && '\(fsring)' hash -c list")
        #expect(tampered.status == 1)
        #expect(tampered.text.contains("f25: FAILED\n") && tampered.text.contains("f12: FAILED\n"))
        #expect(tampered.text.contains("f24: OK\n") && tampered.text.contains("f13: OK\n"))
    }

    @Test func checkReportsTamperedMissingAndMalformedEntries() throws {
        let scratch = TemporaryDirectory("tamper")
        let dir = scratch.path.string
        writeFile(Array("\(dir)/a".utf8), Array("alpha".utf8))
        writeFile(Array("\(dir)/b".utf8), Array("beta".utf8))
        writeFile(Array("\(dir)/c".utf8), Array("gamma".utf8))
        _ = try shell("cd '\(dir)' && sha256sum a b c > list && echo 'not a checksum line' >> list")
        writeFile(Array("\(dir)/b".utf8), Array("BETA".utf8))
        unlink("\(dir)/c")

        // The same lines and warnings sha256sum prints, with fsring's prefix.
        let ours = try shell("cd '\(dir)' && '\(fsring)' hash -c list", standardError: true)
        let theirs = try shell("cd '\(dir)' && sha256sum -c list", standardError: true)
        #expect(ours.status == 1)
        #expect(ours.status == theirs.status)
        for line in ["a: OK", "b: FAILED", "c: FAILED open or read"] {
            #expect(ours.text.contains(line + "\n"))
            #expect(theirs.text.contains(line + "\n"))
        }
        for warning in [
            "WARNING: 1 line is improperly formatted", "WARNING: 1 listed file could not be read",
            "WARNING: 1 computed checksum did NOT match",
        ] {
            #expect(ours.text.contains("fsring: hash: " + warning))
            #expect(theirs.text.contains("sha256sum: " + warning))
        }

        // --quiet drops OK lines; --status prints nothing; exit codes as coreutils.
        let quiet = try shell("cd '\(dir)' && '\(fsring)' hash -c --quiet list")
        #expect(!quiet.text.contains(": OK"))
        let status = try shell("cd '\(dir)' && '\(fsring)' hash -c --status list", standardError: true)
        #expect(status.status == 1)
        #expect(status.output.isEmpty)

        // Only the good line left: --ignore-missing, --strict and malformed lines.
        _ = try shell(
            "cd '\(dir)' && sha256sum a > good && echo 'garbage' >> good && sha256sum c 2>/dev/null >> good; true")
        #expect(try shell("cd '\(dir)' && '\(fsring)' hash -c good").status == 0)
        #expect(try shell("cd '\(dir)' && '\(fsring)' hash -c --strict good").status == 1)
        let warned = try shell("cd '\(dir)' && '\(fsring)' hash -c --warn good", standardError: true)
        #expect(warned.text.contains("good: 2: improperly formatted checksum line"))
        _ = try shell("cd '\(dir)' && echo \"$(sha256sum a | cut -c1-64)  vanished\" > missing")
        let ignoring = try shell("cd '\(dir)' && '\(fsring)' hash -c --ignore-missing missing", standardError: true)
        #expect(ignoring.status == 1)
        #expect(ignoring.text.contains("missing: no file was verified"))
        let nothing = try shell("cd '\(dir)' && echo junk > junk && '\(fsring)' hash -c junk", standardError: true)
        #expect(nothing.status == 1)
        #expect(nothing.text.contains("junk: no properly formatted checksum lines found"))
    }

    /// `find -print0 | fsring hash --files0-from -`: one call for a list of
    /// any length, names as written (a newline in one, a file named `-`),
    /// the same lines as naming the files, digests that sha256sum accepts.
    @Test func filesNamedInANulEndedList() throws {
        let scratch = TemporaryDirectory("files0")
        let dir = scratch.path.string
        for name in ["a", "b", "line\nbreak", "-"] { writeFile(Array("\(dir)/\(name)".utf8), Array(name.utf8)) }
        _ = try shell("cd '\(dir)' && mkdir sub && echo deep > sub/c && find . -type f ! -name list -print0 > list")
        let listed = try shell("cd '\(dir)' && '\(fsring)' hash -a sha256 --files0-from list")
        #expect(listed.status == 0, "\(listed.text)")
        let named = try shell(
            "cd '\(dir)' && find . -type f ! -name list -print0 | xargs -0 '\(fsring)' hash -a sha256")
        #expect(listed.text == named.text)
        #expect(listed.text.split(separator: "\n").count == 5)  // the name with a newline is escaped on one line
        let checked = try shell("cd '\(dir)' && '\(fsring)' hash -a sha256 --files0-from - < list | sha256sum -c")
        #expect(checked.status == 0, "\(checked.text)")
        #expect(checked.text.split(separator: "\n").count == 5)
        // A listed `-` is the file of that name, printed as `./-` (a `-` line
        // in a checksum list would mean standard input).
        let dash = try shell("cd '\(dir)' && printf -- '-\\0' > dashes && '\(fsring)' hash --files0-from dashes")
        let reference = try shell("cd '\(dir)' && b3sum ./-")
        #expect(dash.status == 0)
        #expect(dash.text == reference.text)
        // An empty name is reported and the rest hashed, exit 1, as GNU du does.
        let empty = try shell(
            "cd '\(dir)' && printf 'a\\0\\0b\\0' | '\(fsring)' hash --files0-from -", standardError: true)
        #expect(empty.status == 1)
        #expect(empty.text.contains("fsring: hash: -:2: invalid zero-length file name"))
        #expect(empty.text.contains("  a\n") && empty.text.contains("  b\n"))
        let both = try shell("cd '\(dir)' && '\(fsring)' hash --files0-from list a", standardError: true)
        #expect(both.status == 2)
    }

    /// A list on standard input that cannot be read (a directory there) is
    /// a read error, reported, as sha256sum and du report it: not an empty
    /// list that passes.
    @Test func anUnreadableListOnStandardInputIsAnError() throws {
        let scratch = TemporaryDirectory("stdin-dir")
        for arguments in ["--files0-from -", "-c -", "-c", "--audit - ."] {
            let result = try shell(
                "cd '\(scratch.path.string)' && '\(fsring)' hash \(arguments) < .", standardError: true)
            #expect(result.status == 1, "\(arguments): \(result.text)")
            #expect(result.text.contains("fsring: hash: read '-': Is a directory"), "\(arguments): \(result.text)")
        }
    }

    /// Lists written by hand or by other tools (OpenSSL's `SHA256(f)= hex`,
    /// BSD's `hex f`, indented lines, comments, blank lines): every line
    /// sha256sum -c accepts is checked, the others counted as it counts them.
    /// Names go to the kernel as written: `a/` is not the file `a`.
    @Test func checkReadsLooseListsAsSha256sumDoes() throws {
        let scratch = TemporaryDirectory("loose")
        let dir = scratch.path.string
        for name in ["a", "b", "c", "d", "e", "f"] { writeFile(Array("\(dir)/\(name)".utf8), Array(name.utf8)) }
        let script = """
            cd '\(dir)' && h() { sha256sum "$1" | cut -c1-64; } &&
            { echo '# written by hand'; echo; printf '  %s  a\\n' "$(h a)"; printf '\\t%s *b\\n' "$(h b)";
              echo "SHA256(c)= $(h c)"; echo "SHA256 (d) =  $(h d)"; echo "$(h e) e";
              printf '  # indented: not a comment\\n'; echo "SHA256 (f) = $(h f)"; echo "$(h a)  a/"; } > list &&
            printf '%s f\\n%s  e\\n' "$(h f)" "$(h e)" > single && echo x > e
            """
        _ = try shell(script)
        for list in ["list", "single"] {
            let command = "hash -c --warn \(list)"
            let ours = try shell("cd '\(dir)' && '\(fsring)' \(command)")
            let theirs = try shell("cd '\(dir)' && sha256sum -c --warn \(list)")
            #expect(ours.status == theirs.status, "\(ours.text)")
            #expect(ours.text == theirs.text, "\(ours.text)\n---\n\(theirs.text)")
            // The same lines counted and named improperly formatted.
            func warnings(_ command: String) throws -> [String] {
                try shell("cd '\(dir)' && \(command) 2>&1 >/dev/null").text.split(separator: "\n")
                    .filter { $0.contains("improperly") }
                    .map { line in  // the numbers in it: line numbers, count
                        line.split(whereSeparator: { $0 == " " || $0 == ":" }).filter { $0.allSatisfy(\.isNumber) }
                            .joined(separator: " ")
                    }
            }
            let ourWarnings = try warnings("'\(fsring)' \(command)")
            #expect(ourWarnings == (list == "list" ? ["7", "8", "2"] : []))
            #expect(ourWarnings == (try warnings("sha256sum -c --warn \(list)")))
        }
        let single = try shell("cd '\(dir)' && '\(fsring)' hash -c single", standardError: true)
        #expect(single.text.contains("f: OK\n") && single.text.contains(" e: FAILED open or read\n"))
    }

    @Test func treeDigestIsStableAndSensitiveToEveryKindOfChange() throws {
        let scratch = TemporaryDirectory("tree")
        let dir = scratch.path.string
        _ = makeHashTree(dir)
        func tree(_ environment: String = "") throws -> String {
            let result = try shell("\(environment) '\(fsring)' hash --tree '\(dir)'")
            #expect(result.status == 0, "\(result.text)")
            return String(result.text.prefix(64))
        }
        let original = try tree()
        #expect(original.count == 64)
        // Same digest on the other backend, with one ring or three, and in a
        // copy elsewhere (other times, inodes).
        #expect(try tree("FSRING_BACKEND=posix") == original)
        #expect(try tree("FSRING_RINGS=1") == original)
        #expect(try tree("FSRING_RINGS=3") == original)
        let copy = TemporaryDirectory("tree-copy")
        _ = try shell(
            "cp -r '\(dir)/.' '\(copy.path.string)/' && touch -d '2001-01-01' '\(copy.path.string)/sub/size-0'")
        #expect(try shell("'\(fsring)' hash --tree '\(copy.path.string)'").text.prefix(64) == original.prefix(64))
        // A link to the tree, named as the directory, is followed.
        #expect(symlink(dir, "\(copy.path.string)-link") == 0)
        defer { unlink("\(copy.path.string)-link") }
        #expect(try shell("'\(fsring)' hash --tree '\(copy.path.string)-link'").text.prefix(64) == original.prefix(64))

        var seen: Set<String> = [original]
        func changed(_ command: String, _ label: String) throws {
            _ = try shell("cd '\(dir)' && \(command)")
            let digest = try tree()
            #expect(!seen.contains(digest), "\(label) did not change the tree digest")
            seen.insert(digest)
        }
        try changed("printf x >> sub/size-0", "content")
        try changed("mv sub/size-0 sub/renamed", "a rename")
        try changed("mv sub/renamed sub/deeper/renamed", "a move")
        try changed("chmod +x sub/deeper/renamed", "the executable bit")
        try changed("rm sub/deeper/renamed && ln -s size-0 sub/deeper/renamed", "a file turned link")
        try changed("mkdir empty-dir", "an empty directory")
        // Owners and other mode bits are not part of it.
        let before = try tree()
        _ = try shell("cd '\(dir)' && chmod g+w sub/deeper/size-1 && touch sub/deeper/size-1")
        #expect(try tree() == before)
    }

    @Test func auditReportsEachKindOfDifference() throws {
        let scratch = TemporaryDirectory("audit")
        let dir = scratch.path.string
        for name in ["keep", "edit", "gone", "move"] { writeFile(Array("\(dir)/\(name)".utf8), Array(name.utf8)) }
        _ = try shell(
            "cd '\(dir)' && '\(fsring)' hash . > ../manifest-$$ && mv ../manifest-$$ /tmp/fsring-manifest-\(getpid())")
        let manifest = "/tmp/fsring-manifest-\(getpid())"
        defer { unlink(manifest) }
        let clean = try shell("cd '\(dir)' && '\(fsring)' hash --audit \(manifest)")
        #expect(clean.status == 0)
        #expect(clean.text == "0 changed, 0 missing, 0 new, 0 moved\n")

        _ = try shell("cd '\(dir)' && printf changed > edit && rm gone && mv move moved && printf fresh > added")
        let report = try shell("cd '\(dir)' && '\(fsring)' hash --audit \(manifest) .")
        #expect(report.status == 1)
        #expect(
            report.text
                == "changed: ./edit\nmissing: ./gone\nnew: ./added\nmoved: ./move -> ./moved\n1 changed, 1 missing, 1 new, 1 moved\n"
        )
        // The list may come from standard input, as -c's lists do.
        let piped = try shell("cd '\(dir)' && '\(fsring)' hash --audit - . < \(manifest)")
        #expect(piped.status == 1 && piped.text == report.text)
        // A list of `fsring hash sub` (names `sub/...`) audited in the
        // current directory, the default (walked as `./sub/...`): the same names.
        let nested = try shell(
            "cd '\(dir)' && mkdir sub && printf one > sub/one && '\(fsring)' hash sub > \(manifest) "
                + "&& printf two > sub/one && cd sub && cd .. && '\(fsring)' hash --audit \(manifest) | grep sub/")
        #expect(nested.text == "changed: ./sub/one\n", "\(nested.text)")
    }

    @Test func linksAreSkippedInsideDirectoriesButFollowedWhenNamed() throws {
        let scratch = TemporaryDirectory("links")
        let dir = scratch.path.string
        _ = try shell("cd '\(dir)' && mkdir d && printf data > d/file && ln -s file d/link && ln -s d dirlink")
        let walked = try shell("cd '\(dir)' && '\(fsring)' hash -v d", standardError: true)
        #expect(walked.text.contains("  d/file\n"))
        #expect(!walked.text.contains("  d/link\n"))
        #expect(walked.text.contains("fsring: hash: skipped symbolic link 'd/link'"))
        let followed = try shell("cd '\(dir)' && '\(fsring)' hash -L d")
        #expect(followed.text.contains("  d/link\n"))
        let named = try shell("cd '\(dir)' && '\(fsring)' hash d/link dirlink")
        #expect(named.status == 0)
        #expect(named.text.contains("  d/link\n"))
        #expect(named.text.contains("  dirlink/file\n"))
    }

    @Test func standardInputIsADash() throws {
        let ours = try shell("printf 'from a pipe' | '\(fsring)' hash -a sha256 -")
        let theirs = try shell("printf 'from a pipe' | sha256sum -")
        #expect(ours.status == 0)
        #expect(ours.output == theirs.output)
        let b3 = try shell("head -c 3000000 /dev/zero | '\(fsring)' hash -")
        #expect(b3.output == (try shell("head -c 3000000 /dev/zero | b3sum -")).output)
    }

    /// With no path, as sha256sum and b3sum: the data, or with -c the list,
    /// comes from standard input.
    @Test func noPathReadsStandardInput() throws {
        let ours = try shell("printf 'no path given' | '\(fsring)' hash -a sha256")
        #expect(ours.status == 0)
        #expect(ours.output == (try shell("printf 'no path given' | sha256sum")).output)
        let b3 = try shell("printf 'no path given' | '\(fsring)' hash")
        #expect(b3.output == (try shell("printf 'no path given' | b3sum")).output)
        // The summary counts what came from standard input.
        let json = try shell("printf 'no path given' | '\(fsring)' hash --json")
        #expect(json.text.contains("{\"summary\":{\"files\":1,\"bytes\":13,\"errors\":0,"), "\(json.text)")
        let scratch = TemporaryDirectory("stdin-list")
        writeFile(scratch("listed"), Array("checked through a pipe".utf8))
        let check = try shell("cd '\(scratch.path.string)' && sha256sum listed | '\(fsring)' hash -c")
        #expect(check.status == 0)
        #expect(check.text == "listed: OK\n")
    }

    /// A list line naming "-" is checked against standard input, as
    /// sha256sum -c and b3sum --check do.
    @Test func checkListsNameStandardInputAsDash() throws {
        let scratch = TemporaryDirectory("dash-list")
        let directory = scratch.path.string
        _ = try shell("cd '\(directory)' && printf 'piped' | sha256sum > sha && printf 'piped' | b3sum > b3")
        for list in ["sha", "b3"] {
            let good = try shell("cd '\(directory)' && printf 'piped' | '\(fsring)' hash -c \(list)")
            #expect(good.status == 0)
            #expect(good.text == "-: OK\n")
            let bad = try shell("cd '\(directory)' && printf 'other' | '\(fsring)' hash -c \(list)")
            #expect(bad.status == 1)
            #expect(bad.text == "-: FAILED\n")
        }
    }

    /// FIFOs and devices named as paths are read to their end, as sha256sum
    /// reads them (a process substitution is one); met inside a directory
    /// they are skipped, since a FIFO there could keep the walk waiting.
    @Test(arguments: ["uring", "posix"])
    func streamsNamedAsPathsAreRead(backend: String) throws {
        let scratch = TemporaryDirectory("streams-\(backend)")
        let directory = scratch.path.string
        writeFile(scratch("file"), Array("a regular file".utf8))
        #expect(mkfifo("\(directory)/pipe", 0o600) == 0)
        // The writer gives up after 10 s, so a reader that never comes fails the test instead of hanging it.
        let feed = "(timeout 10 sh -c 'printf \"through a FIFO\" > pipe' &)"
        let ours = try shell(
            "cd '\(directory)' && \(feed) && FSRING_BACKEND=\(backend) timeout 20 '\(fsring)' hash -a sha256 pipe /dev/null file"
        )
        #expect(ours.status == 0)
        let theirs = try shell("cd '\(directory)' && \(feed) && sha256sum pipe /dev/null file")
        #expect(ours.text == theirs.text)

        // A socket cannot be opened: reported with the reason, as sha256sum does, and exit 1.
        let listener = try #require(bindUnixSocket(at: "\(directory)/socket"))
        defer { close(listener) }
        let refused = try shell(
            "cd '\(directory)' && FSRING_BACKEND=\(backend) timeout 20 '\(fsring)' hash socket file",
            standardError: true)
        #expect(refused.status == 1)
        #expect(refused.text.contains("'socket': No such device or address"))
        #expect(refused.text.contains("  file\n"))

        let tree = TemporaryDirectory("streams-tree-\(backend)")
        writeFile(tree("file"), Array("in a tree".utf8))
        #expect(mkfifo("\(tree.path.string)/pipe", 0o600) == 0)
        let walked = try shell(
            "cd '\(tree.path.string)' && FSRING_BACKEND=\(backend) timeout 20 '\(fsring)' hash -v -a sha256 . 2>&1")
        #expect(walked.status == 0)
        #expect(walked.text.contains("fsring: hash: skipped fifo './pipe'"))
        #expect(walked.text.contains("  ./file\n"))
        #expect(!walked.text.contains("  ./pipe"))
    }

    /// A path written with a trailing slash must be a directory, as for
    /// sha256sum: `file/` is reported and the other paths are still hashed.
    /// Files deeper than one call's path (PATH_MAX, 4,096 bytes) are
    /// hashed too (sha256sum and b3sum cannot open them): on both backends,
    /// in a list, in a check of that list and in the tree digest.
    @Test(arguments: ["uring", "posix"])
    func filesDeeperThanPathMaxAreHashed(backend: String) throws {
        let scratch = TemporaryDirectory("deep-hash")
        let root = scratch.path.string
        mkdir(scratch("tree").string, 0o755)
        writeFile(scratch("tree/top"), Array("top".utf8))
        let level = makeDeepDirectories(under: scratch("tree"), levels: 17, mode: 0o755)
        try #require(level >= 0)
        for (name, text) in [("deep", "deep file"), ("other", "another")] {
            let file = openat(level, name, O_WRONLY | O_CREAT, 0o644)
            #expect(write(file, text, text.utf8.count) == text.utf8.count)
            close(file)
        }
        close(level)
        let environment = "FSRING_BACKEND=\(backend)"
        let listed = try shell(
            "cd '\(root)' && \(environment) '\(fsring)' hash -a sha256 tree > list; echo $?; cat list")
        let lines = listed.text.split(separator: "\n")
        #expect(lines.first == "0", "\(listed.text)")
        #expect(lines.count == 4)
        // The same digests from sha256sum, reading through a shell that walked down.
        let theirs = try shell(
            "cd '\(root)/tree' && for i in $(seq 1 17); do cd -P n*; done && sha256sum < deep && sha256sum < other")
        for digest in theirs.text.split(separator: "\n").map({ $0.prefix(64) }) {
            #expect(lines.contains { $0.hasPrefix(digest) && $0.count > 4_096 }, "\(digest)")
        }
        let check = try shell("cd '\(root)' && \(environment) '\(fsring)' hash -c --quiet list")
        #expect(check.status == 0, "\(check.text)")
        // (Slow in a debug build only: SystemPackage checks every path it changes there.)
        let tree = try shell("cd '\(root)' && \(environment) '\(fsring)' hash --tree tree 2>&1")
        #expect(tree.status == 0 && tree.text.hasSuffix("  tree\n") && tree.text.count == 64 + 7, "\(tree.text)")
    }

    @Test func trailingSlashNamesADirectory() throws {
        let scratch = TemporaryDirectory("slash")
        mkdir(scratch("dir").string, 0o755)
        writeFile(scratch("dir/inside"), Array("inside".utf8))
        writeFile(scratch("file"), Array("a file".utf8))
        let result = try shell("cd '\(scratch.path.string)' && '\(fsring)' hash -a sha256 file/ dir/ 2>&1")
        #expect(result.status == 1)
        #expect(result.text.contains("fsring: hash: 'file/': Not a directory"))
        let inside = try shell("cd '\(scratch.path.string)' && sha256sum dir/inside")
        #expect(result.text.contains(inside.text))
    }

    @Test func usageErrorsExitWithTwo() throws {
        let none = try shell("'\(fsring)' hash --tree", standardError: true)
        #expect(none.status == 2)
        #expect(none.text.hasPrefix("fsring: hash: --tree needs at least one directory"))
        let both = try shell("'\(fsring)' hash -c --tree x", standardError: true)
        #expect(both.status == 2)
        #expect(try shell("'\(fsring)' hash -a nosuch x", standardError: true).status == 2)
    }

    @Test func unsortedPrintsTheSameLinesAsTheyFinish() throws {
        let scratch = TemporaryDirectory("unsorted")
        _ = makeHashTree(scratch.path.string)
        let sorted = try shell("cd '\(scratch.path.string)' && '\(fsring)' hash -z -a md5 .")
        let unsorted = try shell("cd '\(scratch.path.string)' && '\(fsring)' hash -z --unsorted -a md5 .")
        #expect(unsorted.status == 0)
        let sortedLines = sorted.output.split(separator: 0).map { Array($0) }
        let unsortedLines = unsorted.output.split(separator: 0).map { Array($0) }
        #expect(sortedLines.count == unsortedLines.count)
        #expect(Set(sortedLines) == Set(unsortedLines))
        // -z ends lines with NUL and no newline follows a name without one.
        #expect(!sorted.output.contains(0x0A) || sorted.text.contains("with\nnewline"))
    }

    @Test func auditReadsUntaggedListsOfEveryAlgorithm() throws {
        let scratch = TemporaryDirectory("audit-algorithms")
        let dir = scratch.path.string
        _ = try shell("mkdir '\(dir)/src' && printf one > '\(dir)/src/a' && printf two > '\(dir)/src/b'")
        // sha256 and blake3 lists both have 32-byte digests; md5 and xxh128 16.
        for algorithm in ["sha256", "blake3", "md5", "xxh128", "sha1", "sha512"] {
            let audit = try shell(
                "cd '\(dir)' && '\(fsring)' hash -a \(algorithm) src > list && '\(fsring)' hash --audit list src")
            #expect(audit.status == 0, "\(algorithm): \(audit.text)")
            #expect(audit.text == "0 changed, 0 missing, 0 new, 0 moved\n", "\(algorithm)")
        }
        let tool = try shell("cd '\(dir)' && sha256sum src/a src/b > list && '\(fsring)' hash --audit list src")
        #expect(tool.status == 0)
    }

    /// A tree large enough for the lines to be formatted in several parts
    /// (one per core): still every line, in b3sum's order of the sorted names.
    @Test func manyFilesPrintInSortedOrder() throws {
        let scratch = TemporaryDirectory("many")
        let dir = scratch.path.string
        for directory in 0..<40 {
            mkdir("\(dir)/d\((directory * 7) % 40)", 0o755)
            for file in 0..<120 {
                let name = "\(dir)/d\((directory * 7) % 40)/f\((file * 13) % 120)"
                writeFile(Array(name.utf8), Array("\(directory) \(file)".utf8))
            }
        }
        let ours = try shell("cd '\(dir)' && '\(fsring)' hash .")
        #expect(ours.status == 0)
        let theirs = try shell("cd '\(dir)' && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 b3sum")
        let lines = ours.text.split(separator: "\n")
        let expected = theirs.text.split(separator: "\n")
        #expect(lines.count == 4800)
        // A plain comparison: on failure the testing library would diff the
        // two 400 KB outputs, which takes minutes.
        let firstDifference = zip(lines, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(
            firstDifference == nil && lines.count == expected.count, "first differing line: \(firstDifference ?? -1)")
    }

    @Test func jsonAndUnreadableFiles() throws {
        let scratch = TemporaryDirectory("json")
        let dir = scratch.path.string
        writeFile(Array("\(dir)/a".utf8), Array("a".utf8))
        writeFile([UInt8]("\(dir)/".utf8) + [0xFF], Array("b".utf8))
        let json = try shell("cd '\(dir)' && '\(fsring)' hash --json .")
        #expect(json.status == 0)
        let lines = json.text.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("{\"path\":\"./a\",\"algorithm\":\"blake3\",\"digest\":\""))
        #expect(lines[0].hasSuffix(",\"size\":1}"))
        #expect(lines[1].hasPrefix("{\"path\":{\"bytes\":\"Li//\"}"))  // "./\xFF" in base64
        #expect(lines[2].hasPrefix("{\"summary\":{\"files\":2,\"bytes\":2,"))

        let missing = try shell("cd '\(dir)' && '\(fsring)' hash a nothing-here", standardError: true)
        #expect(missing.status == 1)
        #expect(missing.text.contains("fsring: hash: statx 'nothing-here': No such file or directory (ENOENT)"))
        #expect(missing.text.contains("  a\n"))
    }
}
