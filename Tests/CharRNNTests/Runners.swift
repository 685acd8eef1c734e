// The built `charrnn` run the way these tests run it, through TestSupport's runner: one process to its end
// (runCharRNN) or started to be signalled (startCharRNN), and N ranks under Open MPI's mpirun on loopback (runMPI,
// startMPI).
//
// MPI needs mpirun (Debian: openmpi-bin; scripts/setup.sh installs it, and so the test command); without it the
// tests fail saying so.
import Foundation
import TestSupport
import Testing

/// Runs the `charrnn` executable built next to the test bundle to its end.
///
/// - Parameters:
///   - stdin: bytes written to its stdin (a pipe, closed after them; with neither this nor `standardInput`, an
///     empty pipe).
///   - standardInput: a file handle to give as its stdin instead (/dev/null, a socket, a file).
///   - environment: variables added to its environment.
///   - fileSizeLimitKiB: runs it under `ulimit -f` (through bash), so writing a larger file fails the way a full
///     disk does.
///   - timeout: seconds after which a process still running is killed (with its process group) and the test fails.
///   - launcher: a command that runs the arguments instead of the binary itself (mpirun and its flags, the last
///     of them naming the binary).
func runCharRNN(
    _ arguments: [String], stdin: Data? = nil, standardInput: FileHandle? = nil, currentDirectory: URL? = nil,
    environment: [String: String] = [:], fileSizeLimitKiB: Int? = nil, timeout: TimeInterval = 300,
    launcher: [String]? = nil
) throws -> ProgramResult {
    var (executable, line) = (charrnnExecutable, arguments)
    if let limit = fileSizeLimitKiB {
        executable = URL(fileURLWithPath: "/bin/bash")
        line = ["-c", "ulimit -f \(limit) && exec \"$0\" \"$@\"", charrnnExecutable.path] + arguments
    } else if let launcher, let first = launcher.first {
        executable = URL(fileURLWithPath: first)
        line = Array(launcher.dropFirst()) + arguments
    }
    return try runProgram(
        executable, line, input: standardInput.map { .handle($0) } ?? .bytes(stdin ?? Data()),
        environment: environment, currentDirectory: currentDirectory, timeout: timeout)
}

/// Starts the built `charrnn` with `arguments` (stdin /dev/null unless given), for tests that signal it or watch
/// its stderr as it comes.
func startCharRNN(_ arguments: [String], input: ProgramInput = .nullDevice) throws -> RunningProgram {
    try RunningProgram(charrnnExecutable, arguments, input: input)
}

enum MPI {
    /// mpirun on PATH, or nil.
    static let mpirun: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/mpirun" }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }()

    /// mpirun's flags for N ranks on this machine over loopback TCP, as root, with its own messages off (-q).
    static func launcher(ranks: Int) -> [String] {
        [
            "--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np", "\(ranks)", "--mca", "btl",
            "self,tcp",
            "--mca", "btl_tcp_if_include", "lo", "--mca", "oob_tcp_if_include", "lo", "-q",
        ]
    }
}

/// Runs `charrnn ARGUMENTS` as `ranks` MPI ranks (through mpirun), like runCharRNN runs one process.
func runMPI(ranks: Int, _ arguments: [String], timeout: TimeInterval = 300) throws -> ProgramResult {
    let mpirun = try #require(MPI.mpirun, "mpirun is not installed: bash scripts/setup.sh installs it (openmpi-bin)")
    return try runCharRNN(
        arguments, timeout: timeout, launcher: [mpirun] + MPI.launcher(ranks: ranks) + [charrnnExecutable.path])
}

/// Starts `charrnn ARGUMENTS` as `ranks` ranks through mpirun, with the signal mask cleared first: mpirun leaves
/// the mask it inherits as it finds it, so signals sent to it would never arrive.
func startMPI(ranks: Int, _ arguments: [String]) throws -> RunningProgram {
    let mpirun = try #require(MPI.mpirun, "mpirun is not installed (Debian: openmpi-bin)")
    return try RunningProgram(
        URL(fileURLWithPath: mpirun), MPI.launcher(ranks: ranks) + [charrnnExecutable.path] + arguments,
        clearingSignalMask: true)
}
