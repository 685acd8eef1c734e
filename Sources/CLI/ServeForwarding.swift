// `charrnn serve`: runs the server, a program of its own (charrnn-serve, built beside charrnn) so that building
// charrnn never builds the HTTP stack. Every argument goes to it unchanged.
import ArgumentParser
import Foundation

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve models over HTTP (OpenAI-style completions); runs charrnn-serve, see charrnn serve --help.")

    @Argument(parsing: .captureForPassthrough, help: "charrnn-serve's arguments.") var arguments: [String] = []

    func run() throws {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("charrnn-serve").path
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw CommandFailure(
                message:
                    "the server is not built: no \(executable); build it with swift build -c release --product "
                    + "charrnn-serve")
        }
        let argv = [executable] + arguments
        var cArguments = argv.map { strdup($0) } + [nil]
        execv(executable, &cArguments)
        throw CommandFailure(message: "cannot run \(executable): \(String(cString: strerror(errno)))")
    }
}
