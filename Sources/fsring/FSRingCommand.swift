import FSRing

#if canImport(Glibc)
    import Glibc
#endif

/// The `fsring` command: one subcommand per job.
@main
enum FSRingCommand {
    static let abstract = "Fast, faithful file-tree tools on io_uring."
    static let discussion = """
        Environment: FSRING_BACKEND=uring|posix forces a backend; by default io_uring is \
        used where the kernel allows it, with a fallback to blocking system calls.
        Exit status: 0 success, 1 some files failed or differed, 2 usage or fatal error.
        """

    static let commands: [(name: String, abstract: String)] = [
        (CopyCommand.name, CopyCommand.abstract),
        (HashCommand.name, HashCommand.abstract),
        (DoctorCommand.name, DoctorCommand.abstract),
    ]

    static func main() async {
        let arguments = CommandArgument.processArguments[...]
        guard let first = arguments.first?.text else {
            usageError("give a command: copy, hash or doctor", help: "fsring --help")
        }
        let rest = arguments.dropFirst()
        switch first {
        case "copy": await run(CopyCommand.self, rest)
        case "hash": await run(HashCommand.self, rest)
        case "doctor": await run(DoctorCommand.self, rest)
        case "--version":
            writeToStandardOutput(FSRingVersion.current + "\n")
        case "-h", "--help":
            writeToStandardOutput(rootHelp)
        case "help":
            switch rest.first?.text {
            case nil: writeToStandardOutput(rootHelp)
            case "copy": writeToStandardOutput(HelpText.command(CopyCommand.self))
            case "hash": writeToStandardOutput(HelpText.command(HashCommand.self))
            case "doctor": writeToStandardOutput(HelpText.command(DoctorCommand.self))
            case let other?: usageError("no command '\(other)': use copy, hash or doctor", help: "fsring --help")
            }
        default:
            usageError("no command '\(first)': use copy, hash or doctor", help: "fsring --help")
        }
    }

    private static var rootHelp: String {
        HelpText.root(abstract: abstract, discussion: discussion, commands: commands)
    }

    private static func run<Command: Subcommand>(_ type: Command.Type, _ arguments: ArraySlice<CommandArgument>) async {
        let command: Command
        do throws(UsageError) {
            switch try CommandLineParser.parse(arguments, as: type) {
            case .help:
                writeToStandardOutput(HelpText.command(type))
                return
            case .run(let parsed): command = parsed
            }
        } catch {
            usageError(
                "\(Command.name): \(error.message)\nUsage: \(HelpText.usage(type))",
                help: "fsring \(Command.name) --help")
        }
        do {
            try await command.run()
            // Ending here, on the thread the command finished on: resuming
            // `main` would hop to the main actor, and Dispatch starts a thread
            // just for that, since the main thread has left to dispatch_main.
            exit(0)
        } catch let status as ExitStatus {
            exit(status.code)
        } catch {
            writeToStandardError("fsring: \(Command.name): \(error)\n")
            exit(2)
        }
    }

    private static func usageError(_ message: String, help: String) -> Never {
        writeToStandardError("fsring: \(message)\nSee '\(help)'.\n")
        exit(2)
    }

    private static func writeToStandardOutput(_ text: String) {
        let output = RawOutput(descriptor: 1)
        output.write(text)
        output.flush()
    }
}

enum FSRingVersion {
    static let current = "0.1.0"
}
