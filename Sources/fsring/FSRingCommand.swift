import ArgumentParser

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
        subcommands: [HashCommand.self, DoctorCommand.self]
    )
}

enum FSRingVersion {
    static let current = "0.1.0"
}
