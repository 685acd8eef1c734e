// A program the tests start and then watch, signal and stop: a training run that gets SIGINT, a server, an mpirun
// job. `runProgram` (RunProgram.swift) runs one to its end on top of it.
import Foundation

/// A running child process, its stdout and stderr collected as they come (read on threads of their own, so it never
/// blocks on a full pipe). Started in a process group of its own (Foundation does so on Linux), so a hang is ended by
/// killing the group: its children too (bash's, mpirun's ranks). Killed (SIGKILL) when released while running.
///
/// The properties and methods named like `Process`'s do what `Process`'s do.
public final class RunningProgram: @unchecked Sendable {
    private let process: Process
    private let output: PipeReader
    private let errors: PipeReader?
    /// The command line, for messages (shortened when long).
    public let command: String

    /// Starts `executable ARGUMENTS`.
    ///
    /// - Parameters:
    ///   - input: its standard input (by default /dev/null).
    ///   - environment: variables added to (or replacing those of) the test process's environment.
    ///   - currentDirectory: where it starts (by default the test process's directory).
    ///   - mergingStandardError: stderr into the same pipe as stdout, interleaved as written (`stderr` is then
    ///     empty).
    ///   - clearingSignalMask: starts it through perl (which Debian always has) with the signal mask cleared first.
    ///     A child inherits Foundation's spawn mask, which blocks almost every signal; charrnn unblocks the signals
    ///     it handles, but a program such as mpirun leaves the mask as it finds it, so signals sent to it would
    ///     never arrive.
    public init(
        _ executable: URL, _ arguments: [String] = [], input: ProgramInput = .nullDevice,
        environment: [String: String] = [:], currentDirectory: URL? = nil, mergingStandardError: Bool = false,
        clearingSignalMask: Bool = false
    ) throws {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw ProgramError.notExecutable(path: executable.path)
        }
        let process = Process()
        if clearingSignalMask {
            let clear = "use POSIX; sigprocmask(SIG_SETMASK, POSIX::SigSet->new); exec @ARGV or die \"exec: $!\""
            process.executableURL = URL(fileURLWithPath: "/usr/bin/perl")
            process.arguments = ["-e", clear, executable.path] + arguments
        } else {
            process.executableURL = executable
            process.arguments = arguments
        }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let out = Pipe()
        let err = mergingStandardError ? out : Pipe()
        process.standardOutput = out
        process.standardError = err
        var inputPipe: (pipe: Pipe, bytes: Data)?
        switch input {
        case .bytes(let bytes):
            let pipe = Pipe()
            process.standardInput = pipe
            inputPipe = (pipe, bytes)
        case .nullDevice:
            process.standardInput = FileHandle.nullDevice
        case .handle(let handle):
            process.standardInput = handle
        }
        try process.run()
        self.process = process
        output = PipeReader(out)
        errors = mergingStandardError ? nil : PipeReader(err)
        if let inputPipe { feed(inputPipe.bytes, into: inputPipe.pipe) }
        let line = ([executable.path] + arguments).joined(separator: " ")
        command = line.count > 300 ? String(line.prefix(300)) + "…" : line
    }

    deinit { killIfRunning() }

    // MARK: As Process

    /// Its process ID (and its process group's).
    public var processIdentifier: Int32 { process.processIdentifier }

    /// Whether it is still running.
    public var isRunning: Bool { process.isRunning }

    /// Its exit status, or the number of the signal that ended it (once it has ended).
    public var terminationStatus: Int32 { process.terminationStatus }

    /// The signal that ended it, or nil when it exited (once it has ended).
    public var terminationSignal: Int32? {
        process.terminationReason == .uncaughtSignal ? process.terminationStatus : nil
    }

    /// Sends SIGINT.
    public func interrupt() { kill(processIdentifier, SIGINT) }

    /// Sends SIGTERM.
    public func terminate() { kill(processIdentifier, SIGTERM) }

    /// Waits for it to end, however long that takes (`waitForExit(timeout:)` bounds the wait).
    public func waitUntilExit() { process.waitUntilExit() }

    // MARK: Output

    /// What it has written to stdout so far, as text (decoded leniently).
    public var stdout: String { String(decoding: output.bytes, as: UTF8.self) }

    /// What it has written to stderr so far, as text (decoded leniently).
    public var stderr: String { String(decoding: errors?.bytes ?? Data(), as: UTF8.self) }

    /// Waits until what it has written to stdout satisfies `condition`, for at most `timeout` seconds or until
    /// stdout ends; returns whether the condition held.
    public func waitForOutput(timeout: TimeInterval, until condition: (String) -> Bool) -> Bool {
        output.wait(until: Date().addingTimeInterval(timeout)) { condition(String(decoding: $0, as: UTF8.self)) }
    }

    /// How it ended and all it wrote; waits for it to end (`waitForExit(timeout:)` or `killIfRunning()` first
    /// bound that).
    public var result: ProgramResult {
        process.waitUntilExit()
        waitForOutputEnd(grace: 10)
        return ProgramResult(
            status: terminationStatus, signal: terminationSignal, stdoutBytes: output.bytes,
            stderrBytes: errors?.bytes ?? Data())
    }

    // MARK: Ending it

    /// Waits at most `timeout` seconds for it to end and for its output to end (a child it started may hold the
    /// pipes after it exits); returns whether both ended.
    @discardableResult
    public func waitForExit(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        guard waitUntil(timeout: timeout, { !process.isRunning }) else { return false }
        process.waitUntilExit()
        return output.waitForEnd(until: deadline) && (errors?.waitForEnd(until: deadline) ?? true)
    }

    /// Sends `signal` and waits at most `timeout` seconds for it to end; returns its status, or nil if it did not
    /// end (then its process group is killed).
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, timeout: TimeInterval = 15) -> Int32? {
        kill(processIdentifier, signal)
        guard waitForExit(timeout: timeout) else {
            killIfRunning()
            return nil
        }
        return terminationStatus
    }

    /// Waits at most `timeout` seconds for it to end (a bound for a hang, not a measure of speed), killing its
    /// process group if it does not; returns whether it ended by itself, and all it wrote to stderr.
    public func finish(timeout: TimeInterval = 120) -> (ended: Bool, stderr: String) {
        let ended = waitForExit(timeout: timeout)
        if !ended { killIfRunning() }
        return (ended, stderr)
    }

    /// Kills its process group (SIGKILL) if it is running, and waits (at most a minute) for it to end.
    ///
    /// Foundation sees a child end when every copy of a socket the child inherits is closed, so a descendant that
    /// escaped the group would keep it "running"; the wait is bounded for that.
    public func killIfRunning() {
        guard process.isRunning else { return }
        let pid = processIdentifier
        // Its group when it leads one (Foundation's spawn makes a new group on Linux), else the process alone.
        if getpgid(pid) == pid { kill(-pid, SIGKILL) }
        kill(pid, SIGKILL)
        waitUntil(timeout: 60) { !process.isRunning }
        waitForOutputEnd(grace: 10)
    }

    /// Kills whatever is left of its process group once it has exited (children that hold its pipes open), after
    /// `grace` seconds, and waits as long again for the pipes to end.
    private func waitForOutputEnd(grace: TimeInterval) {
        let deadline = Date().addingTimeInterval(grace)
        if output.waitForEnd(until: deadline) && (errors?.waitForEnd(until: deadline) ?? true) { return }
        kill(-processIdentifier, SIGKILL)
        let again = Date().addingTimeInterval(grace)
        output.waitForEnd(until: again)
        errors?.waitForEnd(until: again)
    }
}
