import FSRing
import URing

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

    /// Every subcommand: the one list that dispatch, help and messages read.
    static let commands = [entry(CopyCommand.self), entry(HashCommand.self), entry(DoctorCommand.self)]

    /// A subcommand's name and abstract, and its entry points, as values.
    struct Entry: Sendable {
        var name: String
        var abstract: String
        var main: @Sendable (ArraySlice<CommandArgument>) async -> Void
        var help: @Sendable () -> String
    }

    private static func entry<Command: Subcommand>(_: Command.Type) -> Entry {
        Entry(
            name: Command.name, abstract: Command.abstract, main: { await Command.main($0) },
            help: { Command.help })
    }

    static func main() async {
        DescriptorLimit.raise()
        let arguments = CommandArgument.processArguments[...]
        guard let first = arguments.first?.text else {
            usageError("give a command: \(commandNames)", help: "fsring --help")
        }
        let rest = arguments.dropFirst()
        if let command = command(named: first) {
            await command.main(rest)
            return
        }
        defer { finish(0, command: nil) }
        switch first {
        case "--version":
            writeToStandardOutput(FSRingVersion.current + "\n")
        case "-h", "--help":
            writeToStandardOutput(rootHelp)
        case "help":
            guard let name = rest.first?.text else {
                writeToStandardOutput(rootHelp)
                return
            }
            guard let command = command(named: name) else {
                usageError("no command '\(name)': use \(commandNames)", help: "fsring --help")
            }
            writeToStandardOutput(command.help())
        default:
            usageError("no command '\(first)': use \(commandNames)", help: "fsring --help")
        }
    }

    private static func command(named name: String) -> Entry? {
        commands.first { $0.name == name }
    }

    /// "copy, hash or doctor".
    private static var commandNames: String {
        let names = commands.map(\.name)
        return names.dropLast().joined(separator: ", ") + " or " + names[names.count - 1]
    }

    private static var rootHelp: String {
        HelpText.root(abstract: abstract, discussion: discussion, commands: commands.map { ($0.name, $0.abstract) })
    }

    /// Exits with `status`, unless output was lost: a failed write to
    /// standard output is reported and makes the status 2 (a signal's
    /// status is kept).
    static func finish(_ status: Int32, command: String?) -> Never {
        let code = RawOutput.standardOutputError.load(ordering: .relaxed)
        guard code != 0 else { exit(status) }
        let prefix = command.map { "fsring: \($0): " } ?? "fsring: "
        writeToStandardError("\(prefix)write error on standard output: \(ErrnoName.describe(code))\n")
        exit(status > 2 ? status : 2)
    }

    static func usageError(_ message: String, help: String) -> Never {
        writeToStandardError("fsring: \(message)\nSee '\(help)'.\n")
        exit(2)
    }

    static func writeToStandardOutput(_ text: String) {
        let output = RawOutput(descriptor: 1)
        output.write(text)
        output.flush()
    }
}

extension Subcommand {
    /// The subcommand's help screen.
    static var help: String { HelpText.command(Self.self) }

    /// Parses `arguments` and runs the command; exits with its status.
    static func main(_ arguments: ArraySlice<CommandArgument>) async {
        let command: Self
        do throws(UsageError) {
            switch try CommandLineParser.parse(arguments, as: Self.self) {
            case .help:
                FSRingCommand.writeToStandardOutput(help)
                FSRingCommand.finish(0, command: name)
            case .run(let parsed): command = parsed
            }
        } catch {
            FSRingCommand.usageError(
                "\(name): \(error.message)\nUsage: \(HelpText.usage(Self.self))", help: "fsring \(name) --help")
        }
        do {
            try await command.run()
            // Ending here, on the thread the command finished on: resuming
            // `main` would hop to the main actor, and Dispatch starts a thread
            // just for that, since the main thread has left to dispatch_main.
            FSRingCommand.finish(0, command: name)
        } catch let status as ExitStatus {
            FSRingCommand.finish(status.code, command: name)
        } catch {
            writeToStandardError("fsring: \(name): \(error)\n")
            FSRingCommand.finish(2, command: name)
        }
    }
}

enum FSRingVersion {
    static let current = "0.1.0"
}
