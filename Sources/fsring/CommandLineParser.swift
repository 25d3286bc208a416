import FSRing
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// One command-line argument: the bytes the kernel passed, which a path
/// keeps (a name need not be UTF-8, and two names whose invalid bytes
/// differ must stay two paths), and as text for everything else.
struct CommandArgument: Sendable, Equatable {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var text: String { String(decoding: bytes, as: UTF8.self) }
    /// The argument as a message names a path: quoted, its exact bytes shown.
    var quoted: String { String(decoding: QuotedPath.bytes(bytes), as: UTF8.self) }
    var path: FilePath { FilePath(rawBytes: bytes) }
    /// `-`, which names standard input where a command reads it.
    var isStandardInput: Bool { bytes == [UInt8(ascii: "-")] }

    /// Written with a trailing slash (other than `/` alone): it names a
    /// directory, which `path` no longer says (FilePath drops the slash).
    var endsWithSlash: Bool { bytes.count > 1 && bytes.last == UInt8(ascii: "/") }

    /// The argument without its trailing slashes (`/` stays `/`).
    var withoutTrailingSlashes: CommandArgument {
        var bytes = self.bytes
        while bytes.count > 1 && bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
        return CommandArgument(bytes)
    }

    /// Why the argument, followed through links as the kernel resolves it
    /// with its trailing slash, is not a directory: 0 when it is one, else
    /// the errno (ENOTDIR for a file that is not a directory).
    func directoryError() -> Int32 {
        let written = bytes.map { CChar(bitPattern: $0) } + [0]
        var target = stat()
        return stat(written, &target) == 0 ? (target.st_mode & S_IFMT == S_IFDIR ? 0 : ENOTDIR) : errno
    }

    /// The process's arguments after the program's name.
    static var processArguments: [CommandArgument] {
        (1..<Int(CommandLine.argc)).map { index in
            guard let argument = CommandLine.unsafeArgv[index] else { return CommandArgument([]) }
            return CommandArgument(Array(UnsafeRawBufferPointer(start: argument, count: strlen(argument))))
        }
    }
}

/// A mistake on the command line: the message says what and where; the
/// process ends with status 2 and a pointer to the command's help.
struct UsageError: Error {
    let message: String

    init(_ message: String) { self.message = message }
}

/// The status the process ends with, once the command has said why.
struct ExitStatus: Error {
    let code: Int32

    init(_ code: Int32) { self.code = code }
}

/// One option of a subcommand: its names, the value it takes (none for a
/// flag), the line of help it shows and what it sets.
///
/// Options are plain tables of closures rather than reflected property
/// wrappers: a generic argument parser built on reflection spent more time
/// starting than `fsring hash` of a small file took in all (README, "Start-up").
struct CommandOption<Command>: Sendable {
    var short: UInt8?
    var long: String?
    /// The value's name in help, as `<name>`; nil for a flag.
    var valueName: String?
    var help: String
    /// Sets the option on the command; a flag is given an empty value.
    var apply: @Sendable (inout Command, CommandArgument) throws(UsageError) -> Void
    /// Sets an option whose value may be left out (`--backup`, or
    /// `--backup=numbered`) given without one; nil for the rest.
    var applyWithoutValue: (@Sendable (inout Command) throws(UsageError) -> Void)? = nil

    static func flag(
        _ short: Character? = nil, _ long: String?, help: String,
        _ apply: @escaping @Sendable (inout Command) -> Void
    ) -> CommandOption {
        CommandOption(
            short: short?.asciiValue, long: long, valueName: nil, help: help,
            apply: { command, _ in apply(&command) })
    }

    static func value(
        _ short: Character? = nil, _ long: String?, _ valueName: String, help: String,
        _ apply: @escaping @Sendable (inout Command, CommandArgument) throws(UsageError) -> Void
    ) -> CommandOption {
        CommandOption(short: short?.asciiValue, long: long, valueName: valueName, help: help, apply: apply)
    }

    /// A long option whose value may be left out, given only as
    /// `--name=value` when it is there, as getopt reads optional values.
    static func optionalValue(
        _ long: String, _ valueName: String, help: String,
        _ apply: @escaping @Sendable (inout Command, CommandArgument?) throws(UsageError) -> Void
    ) -> CommandOption {
        var option = CommandOption(
            short: nil, long: long, valueName: valueName, help: help,
            apply: { (command, value) throws(UsageError) in try apply(&command, value) })
        option.applyWithoutValue = { (command) throws(UsageError) in try apply(&command, nil) }
        return option
    }

    var takesValue: Bool { valueName != nil }

    /// How the option is named in messages: its long name if it has one.
    var displayName: String {
        if let long { return "--" + long }
        return "-" + String(decoding: [short ?? 0x3F], as: UTF8.self)
    }
}

/// A subcommand of `fsring`: its help, its options and its work.
protocol Subcommand: SendableMetatype {
    static var name: String { get }
    static var abstract: String { get }
    static var discussion: String { get }
    /// The positional arguments' name and help line.
    static var argumentsName: String { get }
    static var argumentsHelp: String { get }
    /// Whether the command runs without positional arguments.
    static var argumentsAreOptional: Bool { get }
    static var options: [CommandOption<Self>] { get }

    init()
    /// The positional arguments, in order.
    var paths: [CommandArgument] { get set }
    func validate() throws(UsageError)
    func run() async throws
}

extension Subcommand {
    static var discussion: String { "" }
    static var argumentsName: String { "paths" }
    static var argumentsHelp: String { "" }
    static var argumentsAreOptional: Bool { false }
    func validate() throws(UsageError) {}
}

/// What a subcommand's arguments ask for.
enum ParsedCommand<Command: Subcommand> {
    case run(Command)
    case help
}

enum CommandLineParser {
    /// Reads a subcommand's arguments in getopt's manner: options and
    /// operands in any order, `--name value`, `--name=value`, long names
    /// shortened to any unambiguous start, `-x value`, `-xvalue`, flags
    /// grouped as `-vL`, and `--` ending the options.
    static func parse<Command: Subcommand>(
        _ arguments: ArraySlice<CommandArgument>, as _: Command.Type
    ) throws(UsageError) -> ParsedCommand<Command> {
        var command = Command()
        let options = Command.options
        let dash = UInt8(ascii: "-")
        let none = CommandArgument([])
        var operands: [CommandArgument] = []
        var index = arguments.startIndex
        var optionsEnded = false

        func value(for option: CommandOption<Command>, inline: ArraySlice<UInt8>?) throws(UsageError)
            -> CommandArgument
        {
            if let inline { return CommandArgument(Array(inline)) }
            index += 1
            guard index < arguments.endIndex else {
                throw UsageError("\(option.displayName) needs a value (<\(option.valueName ?? "value")>)")
            }
            return arguments[index]
        }

        while index < arguments.endIndex {
            let argument = arguments[index]
            let bytes = argument.bytes
            if optionsEnded || bytes.count < 2 || bytes[0] != dash {
                // "-" alone is an operand: standard input where a command reads it.
                operands.append(argument)
            } else if bytes == [dash, dash] {
                optionsEnded = true
            } else if bytes[1] == dash {
                let body = bytes[2...]
                let equals = body.firstIndex(of: UInt8(ascii: "="))
                let name = String(decoding: body[..<(equals ?? body.endIndex)], as: UTF8.self)
                let inline = equals.map { body[($0 + 1)...] }
                if name == "help" { return .help }
                let option = try longOption(named: name, in: options)
                if let applyWithoutValue = option.applyWithoutValue, inline == nil {
                    try applyWithoutValue(&command)
                } else if option.takesValue {
                    try option.apply(&command, try value(for: option, inline: inline))
                } else if inline != nil {
                    throw UsageError("\(option.displayName) takes no value")
                } else {
                    try option.apply(&command, none)
                }
            } else {
                // One or more short options; the first that takes a value
                // takes the rest of the argument, or the next one.
                var position = 1
                while position < bytes.count {
                    let letter = bytes[position]
                    if letter == UInt8(ascii: "h") { return .help }
                    guard let option = options.first(where: { $0.short == letter }) else {
                        // Short options are ASCII letters; a multi-byte character is shown whole.
                        let shown = letter < 0x80 ? bytes[position...position] : bytes[position...]
                        throw UsageError("unknown option '-\(String(decoding: shown, as: UTF8.self))'")
                    }
                    if option.takesValue {
                        let rest = bytes[(position + 1)...]
                        try option.apply(&command, try value(for: option, inline: rest.isEmpty ? nil : rest))
                        break
                    }
                    try option.apply(&command, none)
                    position += 1
                }
            }
            index += 1
        }
        command.paths = operands
        try command.validate()
        return .run(command)
    }

    /// The option a long name means: its exact name, or as getopt_long
    /// allows, the start of exactly one option's name (`--algo` for
    /// `--algorithm`).
    private static func longOption<Command>(
        named name: String, in options: [CommandOption<Command>]
    ) throws(UsageError) -> CommandOption<Command> {
        if let exact = options.first(where: { $0.long == name }) { return exact }
        let candidates = options.filter { $0.long?.hasPrefix(name) ?? false }
        if candidates.count == 1 { return candidates[0] }
        if candidates.isEmpty || name.isEmpty { throw UsageError("unknown option '--\(name)'") }
        let names = candidates.map { "'\($0.displayName)'" }.joined(separator: ", ")
        throw UsageError("option '--\(name)' is ambiguous: \(names)")
    }

    /// What an option's value names among `choices`, read as coreutils
    /// reads such values (argmatch): a name, or the start of one, or of
    /// several that mean the same (`--backup=nu` for numbered).
    enum Choice<Value> {
        case chosen(Value)
        /// The start of names that mean different things.
        case ambiguous
        case unknown
    }

    static func choice<Value: Equatable>(_ text: String, among choices: [(name: String, value: Value)])
        -> Choice<Value>
    {
        if let exact = choices.first(where: { $0.name == text }) { return .chosen(exact.value) }
        let starting = choices.filter { $0.name.hasPrefix(text) }
        guard !text.isEmpty, let first = starting.first else { return .unknown }
        return starting.allSatisfy { $0.value == first.value } ? .chosen(first.value) : .ambiguous
    }

    /// A whole number option value, within bounds.
    static func integer(_ argument: CommandArgument, for name: String, in range: ClosedRange<Int>) throws(UsageError)
        -> Int
    {
        let text = argument.text
        guard let number = Int(text), range.contains(number) else {
            throw UsageError("\(name) takes a number from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
        }
        return number
    }
}
