/// The help screens: what `--help` prints for `fsring` and each subcommand.
enum HelpText {
    static let width = 80
    /// Where an option's help line starts when the option's names fit before it.
    static let helpColumn = 26

    static func root(abstract: String, discussion: String, commands: [(name: String, abstract: String)]) -> String {
        var text = wrapped("OVERVIEW: " + abstract) + "\n"
        if !discussion.isEmpty { text += wrapped(discussion) + "\n" }
        text += "USAGE: fsring <command> [<options>] ...\n\n"
        text += "OPTIONS:\n"
        text += entry("--version", "Show the version.")
        text += entry("-h, --help", "Show help information.")
        text += "\nCOMMANDS:\n"
        for command in commands { text += entry(command.name, command.abstract) }
        text += "\n  See 'fsring help <command>' for detailed help.\n"
        return text
    }

    static func command<Command: Subcommand>(_: Command.Type) -> String {
        var text = wrapped("OVERVIEW: " + Command.abstract) + "\n"
        if !Command.discussion.isEmpty { text += wrapped(Command.discussion) + "\n" }
        text += "USAGE: " + usage(Command.self) + "\n\n"
        if !Command.argumentsHelp.isEmpty {
            text += "ARGUMENTS:\n" + entry("<\(Command.argumentsName)>", Command.argumentsHelp) + "\n"
        }
        text += "OPTIONS:\n"
        for option in Command.options {
            var names = option.short.map { "-" + String(decoding: [$0], as: UTF8.self) } ?? ""
            if let long = option.long { names += (names.isEmpty ? "--" : ", --") + long }
            if let valueName = option.valueName {
                names += option.applyWithoutValue == nil ? " <\(valueName)>" : "[=<\(valueName)>]"
            }
            text += entry(names, option.help)
        }
        text += entry("-h, --help", "Show help information.")
        return text
    }

    static func usage<Command: Subcommand>(_: Command.Type) -> String {
        var line = "fsring \(Command.name)"
        if !Command.options.isEmpty { line += " [<options>]" }
        if !Command.argumentsHelp.isEmpty {
            line +=
                Command.argumentsAreOptional ? " [<\(Command.argumentsName)> ...]" : " <\(Command.argumentsName)> ..."
        }
        return line
    }

    /// An option or command and its help, the help wrapped in its column.
    private static func entry(_ names: String, _ help: String) -> String {
        let indent = String(repeating: " ", count: helpColumn)
        let lines = wrap(help, width: width - helpColumn)
        var text = "  " + names
        if names.count + 2 < helpColumn - 1 {
            text += String(repeating: " ", count: helpColumn - names.count - 2)
        } else {
            text += "\n" + indent
        }
        text += lines.joined(separator: "\n" + indent) + "\n"
        return text
    }

    /// Each line of the text wrapped at the screen's width on its own, so that
    /// examples laid out one per line stay so.
    private static func wrapped(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { wrap(String($0), width: width).joined(separator: "\n") }
            .joined(separator: "\n") + "\n"
    }

    /// Words of one line, in lines of at most `width` characters (a longer
    /// word gets a line of its own). A line that fits is kept as it is, its
    /// spacing too.
    static func wrap(_ line: String, width: Int) -> [String] {
        if line.count <= width { return [line] }
        let indent = String(line.prefix(while: { $0 == " " }))
        var lines: [String] = []
        var current = indent
        for word in line.split(separator: " ") {
            if current.count > indent.count && current.count + 1 + word.count > width {
                lines.append(current)
                current = indent
            }
            current += (current.count > indent.count ? " " : "") + word
        }
        lines.append(current)
        return lines
    }
}
