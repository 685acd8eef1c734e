// The built programs as the server tests run them, through TestSupport's runner: charrnn-serve started on an
// ephemeral loopback port (ServerProcess), and charrnn or charrnn-serve run to their end (charrnn, runToEnd).
import Foundation
import TestSupport

/// The shipped English model, the one most tests serve.
let englishModel = repositoryRoot.appendingPathComponent("models/fortunes-en.safetensors").path

/// A charrnn-serve process on 127.0.0.1, killed (SIGKILL) when the test is done with it unless it exited.
final class ServerProcess: Sendable {
    let program: RunningProgram
    let port: Int

    /// Starts `charrnn-serve --port 0 ARGUMENTS` and waits for its "listening on" line.
    init(_ arguments: [String], timeout: TimeInterval = 60) throws {
        program = try RunningProgram(charrnnServeExecutable, ["--port", "0"] + arguments)
        guard let port = program.listeningPort(timeout: timeout) else {
            program.killIfRunning()
            throw TestFailure("charrnn-serve did not start: \(program.stdout) \(program.stderr)")
        }
        self.port = port
    }

    /// Sends `signal` and waits up to `timeout` seconds for the process to exit; returns its status, or nil if it
    /// did not exit (then it is killed).
    func stop(signal: Int32 = SIGTERM, timeout: TimeInterval = 15) -> Int32? {
        program.stop(signal: signal, timeout: timeout)
    }

    /// What the server has written to stderr (all of it, once it has exited).
    var standardError: String { program.stderr }

    /// Kills the process (SIGKILL) if it is running, and waits for it.
    func killIfRunning() { program.killIfRunning() }
}

/// Runs the built `charrnn` with `arguments` and returns its stdout (the test fails on a non-zero exit).
func charrnn(_ arguments: [String], stdin: String? = nil) throws -> String {
    let r = try runProgram(charrnnExecutable, arguments, input: .text(stdin ?? ""))
    guard r.status == 0 else {
        throw TestFailure("charrnn \(arguments.joined(separator: " ")) exited with \(r.status): \(r.stderr)")
    }
    return r.stdout
}

/// Runs a built executable (`charrnn` or `charrnn-serve`) to its end; returns its status and stderr.
func runToEnd(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stderr: String) {
    let r = try runProgram(builtExecutable(executable), arguments)
    return (r.status, r.stderr)
}
