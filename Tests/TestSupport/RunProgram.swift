// The one way the tests run a program to its end: the built charrnn and charrnn-serve, mpirun, bash, git, Python.
import Foundation

/// Runs `executable ARGUMENTS` to its end and returns what it printed and how it ended.
///
/// stdout and stderr are read as they come (a chatty program never blocks on a full pipe) and the input is written
/// from a thread of its own. A program still running after `timeout` seconds (a bound for a hang, not for speed) is
/// killed with its process group, and the run throws `ProgramError.hung` with the end of what it printed.
///
/// - Parameters:
///   - input: its standard input (by default an empty pipe).
///   - environment: variables added to (or replacing those of) the test process's environment.
///   - currentDirectory: where it runs (by default the test process's directory).
///   - mergingStandardError: stderr into stdout, interleaved as written.
public func runProgram(
    _ executable: URL, _ arguments: [String] = [], input: ProgramInput = .empty, environment: [String: String] = [:],
    currentDirectory: URL? = nil, mergingStandardError: Bool = false, timeout: TimeInterval = 300
) throws -> ProgramResult {
    let program = try RunningProgram(
        executable, arguments, input: input, environment: environment, currentDirectory: currentDirectory,
        mergingStandardError: mergingStandardError)
    guard program.waitForExit(timeout: timeout) else {
        program.killIfRunning()
        throw ProgramError.hung(
            command: program.command, seconds: timeout, stdout: program.stdout, stderr: program.stderr)
    }
    return program.result
}
