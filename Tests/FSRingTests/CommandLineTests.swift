import FSRingTestSupport
import Glibc
import Testing

@Suite("fsring command line", .serialized)
struct CommandLineTests {
    var fsring: String { fsringExecutable }

    func kernelRelease() -> String {
        var names = utsname()
        _ = uname(&names)
        return withUnsafeBytes(of: names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    @Test func doctorReportsTheIoUringBackendAndItsOpcodes() throws {
        let result = try runProcess([fsring, "doctor"], environment: ["FSRING_BACKEND": "uring"])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("kernel: Linux \(kernelRelease())"))
        #expect(result.output.contains("backend: io_uring (FSRING_BACKEND=uring)"))
        #expect(result.output.contains("setup flags: "))
        #expect(result.output.contains(" OPENAT "))
        #expect(result.output.contains("opcodes supported: "))
    }

    @Test func doctorTellsWhenThePOSIXBackendIsForced() throws {
        let result = try runProcess([fsring, "doctor"], environment: ["FSRING_BACKEND": "posix"])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("backend: posix (FSRING_BACKEND=posix)"))
        #expect(result.output.contains("io_uring: available on this kernel, not in use"))
    }

    @Test func aBadBackendNameIsAUsageError() throws {
        let result = try runProcess([fsring, "doctor"], environment: ["FSRING_BACKEND": "bogus"])
        #expect(result.status == 2)
        #expect(result.errors.contains("fsring: doctor: FSRING_BACKEND=bogus is not a backend: use 'uring' or 'posix'"))
    }

    /// Writable only for root outside a read-only /proc (a container may refuse).
    static let canDisableIoUring = access("/proc/sys/kernel/io_uring_disabled", W_OK) == 0 && getuid() == 0

    @Test(
        .enabled(if: canDisableIoUring, "needs root and a writable /proc/sys/kernel/io_uring_disabled"))
    func fallsBackToPOSIXWhereIoUringIsDisabled() throws {
        try withIoUringRefusedToNobody { runAsNobody in
            let automatic = try runAsNobody([fsring, "doctor"], ["FSRING_BACKEND": ""])
            #expect(automatic.status == 0)
            let reason = "io_uring unavailable: io_uring_queue_init: Operation not permitted (EPERM)"
            #expect(automatic.errors == "fsring: \(reason); using the POSIX backend\n")
            #expect(automatic.output.contains("backend: posix (\(reason))"))
            #expect(
                automatic.output.contains("io_uring: unavailable: io_uring_queue_init: Operation not permitted (EPERM)")
            )
            let forced = try runAsNobody([fsring, "doctor"], ["FSRING_BACKEND": "uring"])
            #expect(forced.status == 2)
            #expect(forced.errors.contains("fsring: doctor: FSRING_BACKEND=uring, but \(reason)"))
        }
    }

    @Test func versionAndHelp() throws {
        let version = try runProcess([fsring, "--version"])
        #expect(version.status == 0)
        #expect(version.output.hasPrefix("0."))
        for arguments in [["--help"], ["-h"], ["help"]] {
            let help = try runProcess([fsring] + arguments)
            #expect(help.status == 0)
            for command in ["copy", "hash", "doctor"] { #expect(help.output.contains("\n  \(command) ")) }
        }
    }

    /// Every option a subcommand takes is listed in its help, in 80 columns,
    /// and `fsring help X` prints the same as `fsring X --help`.
    @Test(arguments: [
        ("hash", ["--algorithm <algorithm>", "-c, --check", "--ignore-missing", "--audit <audit>", "-z, --zero"]),
        ("copy", ["-t, --target-directory <directory>", "-j, --jobs <count>", "--no-progress", "-H ", "--dry-run"]),
        ("doctor", ["-h, --help"]),
    ])
    func helpListsEveryOption(command: String, expected: [String]) throws {
        let help = try runProcess([fsring, command, "--help"])
        #expect(help.status == 0)
        #expect(help.output.contains("USAGE: fsring \(command)"))
        for option in expected { #expect(help.output.contains(option), "\(option)") }
        for line in help.output.split(separator: "\n") { #expect(line.count <= 80, "\(line)") }
        #expect(try runProcess([fsring, "help", command]).output == help.output)
        #expect(try runProcess([fsring, command, "-h"]).output == help.output)
    }

    /// Arguments keep the bytes the kernel passed: two names that differ
    /// only in bytes that are not UTF-8 are two files, as an operand and as
    /// an option's value.
    @Test func argumentsThatAreNotUTF8StayDistinct() throws {
        let directory = TemporaryDirectory("raw-arguments")
        let dir = directory.path.string
        let first = "\"$(printf 'a\\377')\""
        let second = "\"$(printf 'a\\376')\""
        #expect(try shell("cd '\(dir)' && printf one > \(first) && printf two > \(second)").status == 0)
        let ours = try shell("cd '\(dir)' && '\(fsring)' hash -a sha256 \(first) \(second)")
        let theirs = try shell("cd '\(dir)' && sha256sum \(first) \(second)")
        #expect(ours.status == 0)
        #expect(
            ours.output.split(separator: 0x0A).sorted { $0.lexicographicallyPrecedes($1) }
                == theirs.output.split(separator: 0x0A).sorted { $0.lexicographicallyPrecedes($1) })
        // Both sources copied, each itself; the target named by -t's value.
        let copied = try shell(
            "cd '\(dir)' && mkdir \(second)x && '\(fsring)' copy -t \(second)x \(first) \(second)"
                + " && cmp \(first) \(second)x/\(first) && cmp \(second) \(second)x/\(second)")
        #expect(copied.status == 0)
    }

    /// Arguments are read as getopt reads them: options before or after the
    /// operands, values attached or separate, flags grouped, and `--`
    /// ending the options so that a file named like one can be given.
    @Test func optionsAreReadTheWayGetoptReadsThem() throws {
        let directory = TemporaryDirectory("arguments")
        let dir = directory.path.string
        writeFile(directory("-a"), Array("dash".utf8))
        writeFile(directory("plain"), Array("plain".utf8))
        let expected = try shell("cd '\(dir)' && sha256sum -- plain -a").text
        for arguments in [
            "-a sha256 -- plain -a", "-asha256 -- plain -a", "--algorithm=sha256 -- plain -a",
            "--algorithm sha256 plain -- -a", "plain -a sha256 -- -a", "--unsorted -a sha256 plain -- -a",
            "--algo=sha256 -- plain -a", "--al sha256 -- plain -a",
        ] {
            let ours = try shell("cd '\(dir)' && '\(fsring)' hash \(arguments)")
            #expect(ours.status == 0, "\(arguments)")
            let lines = ours.text.split(separator: "\n").sorted()
            #expect(lines == expected.split(separator: "\n").sorted(), "\(arguments)")
        }
        // Grouped flags, the last taking its value from the next argument.
        let grouped = try shell("cd '\(dir)' && '\(fsring)' hash -zva md5 plain")
        #expect(grouped.status == 0)
        #expect(grouped.output == (try shell("cd '\(dir)' && md5sum -z plain")).output)
    }

    @Test(arguments: [
        (["hash", "--nope", "x"], "fsring: hash: unknown option '--nope'"),
        (["hash", "-q", "x"], "fsring: hash: unknown option '-q'"),
        (["hash", "-vé", "x"], "fsring: hash: unknown option '-é'"),
        (["hash", "x", "-a"], "fsring: hash: --algorithm needs a value (<algorithm>)"),
        (["hash", "--tag=yes", "x"], "fsring: hash: --tag takes no value"),
        (["hash", "--ta=yes", "x"], "fsring: hash: --tag takes no value"),
        (["hash", "--algorithms", "sha256", "x"], "fsring: hash: unknown option '--algorithms'"),
        (
            ["copy", "--no", "a", "b"],
            "fsring: copy: option '--no' is ambiguous: '--no-target-directory', '--no-dereference', "
                + "'--no-preserve', '--no-clobber', '--no-progress'"
        ),
        (["hash", "-a", "sha3", "x"], "fsring: hash: unknown algorithm 'sha3'"),
        (["copy", "-j", "many", "a", "b"], "fsring: copy: --jobs takes a number from 1 to 1024, not 'many'"),
        (["copy", "--reflink=sometimes", "a", "b"], "fsring: copy: --reflink takes auto, always or never"),
        (["copy", "--reflink=a", "a", "b"], "fsring: copy: --reflink takes auto, always or never, not 'a'"),
        (["copy", "a"], "fsring: copy: give a source and a destination"),
        (["doctor", "now"], "fsring: doctor: takes no arguments, not 'now'"),
        (["frobnicate"], "fsring: no command 'frobnicate': use copy, hash or doctor"),
        ([], "fsring: give a command: copy, hash or doctor"),
    ])
    func usageErrorsSayWhatIsWrongAndExitWithTwo(arguments: [String], message: String) throws {
        let result = try runProcess([fsring] + arguments)
        #expect(result.status == 2)
        #expect(result.errors.hasPrefix(message), "\(result.errors)")
        #expect(result.errors.contains("See 'fsring"))
        #expect(result.output.isEmpty)
    }

    /// Output that cannot be written is an error, as in coreutils: a full
    /// disk, a closed descriptor. With standard output closed, nothing meant for it lands in a
    /// file that took its number (a copied file, here).
    @Test func lostOutputIsAWriteErrorNotSuccess() throws {
        let scratch = TemporaryDirectory("lost-output")
        let dir = scratch.path.string
        _ = try shell("mkdir '\(dir)/src' && for i in 1 2 3 4 5 6 7 8; do echo $i > '\(dir)/src/f'$i; done")
        for (redirection, reason) in [
            ("> /dev/full", "No space left on device (ENOSPC)"), (">&-", "Bad file descriptor (EBADF)"),
        ] {
            let hash = try shell("'\(fsring)' hash '\(dir)/src' \(redirection)", standardError: true)
            #expect(hash.status == 2, "\(hash.text)")
            #expect(hash.text.contains("fsring: hash: write error on standard output: \(reason)"), "\(hash.text)")
            #expect(try shell("sha256sum '\(dir)/src/f1' \(redirection)").status != 0)
            let version = try shell("'\(fsring)' --version \(redirection)", standardError: true)
            #expect(version.status == 2 && version.text.contains("fsring: write error on standard output"))
            let doctor = try shell("'\(fsring)' doctor \(redirection)", standardError: true)
            #expect(doctor.status == 2 && doctor.text.contains("fsring: doctor: write error on standard output"))
        }
        let copy = try shell("'\(fsring)' copy -v '\(dir)/src' '\(dir)/dst' >&-", standardError: true)
        #expect(copy.status == 2, "\(copy.text)")
        #expect(try shell("diff -r '\(dir)/src' '\(dir)/dst'").status == 0)
        #expect(try shell("'\(fsring)' hash '\(dir)/src' > /dev/null").status == 0)
    }
}
