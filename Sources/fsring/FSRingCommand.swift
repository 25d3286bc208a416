import ArgumentParser
import FSRing

#if canImport(Glibc)
    import Glibc
#endif

/// The `fsring` command: one subcommand per job.
@main
struct FSRingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fsring",
        abstract: "Fast, faithful file-tree tools on io_uring.",
        discussion: """
            Environment: FSRING_BACKEND=uring|posix forces a backend; by default io_uring is \
            used where the kernel allows it, with a fallback to blocking system calls.
            Exit status: 0 success, 1 some files failed or differed, 2 usage or fatal error.
            """,
        version: FSRingVersion.current,
        subcommands: [CopyCommand.self, HashCommand.self, DoctorCommand.self]
    )

    /// Runs the command line, with usage errors ending in exit status 2
    /// (ArgumentParser's own default is 64).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                var message = fullMessage(for: error)
                if message.hasPrefix("Error: ") { message.removeFirst("Error: ".count) }
                writeToStandardError("fsring: " + message + "\n")
                Glibc.exit(2)
            }
            exit(withError: error)
        }
    }
}

enum FSRingVersion {
    static let current = "0.1.0"
}
