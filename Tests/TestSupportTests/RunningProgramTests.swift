// TestSupport's RunningProgram, on bash and sleep: output watched as it comes, a signal that ends a program, one
// that does not (then the process group is killed), and the signal mask cleared for programs that keep it.
import Foundation
import TestSupport
import Testing

@Suite struct RunningProgramTests {
    static let bash = URL(fileURLWithPath: "/bin/bash")

    /// Output read while the program runs, and the loopback port of a "listening on" line.
    @Test func outputIsSeenAsItComes() throws {
        let program = try RunningProgram(
            Self.bash, ["-c", "echo 'listening on http://127.0.0.1:4321/'; echo note >&2; exec sleep 600"])
        #expect(program.listeningPort(timeout: 60) == 4321)
        #expect(waitUntil(timeout: 60) { program.stderr == "note\n" }, "\(program.stderr)")
        #expect(program.isRunning)
        program.killIfRunning()
        #expect(!program.isRunning && program.terminationSignal == SIGKILL)
    }

    /// A program that handles SIGTERM ends with its own status; stop gives it back.
    @Test func stopReturnsTheStatusOfAProgramThatEnds() throws {
        let program = try RunningProgram(
            Self.bash, ["-c", "trap 'echo bye; exit 5' TERM; echo ready; while true; do sleep 0.1; done"],
            clearingSignalMask: true)
        #expect(program.waitForOutput(timeout: 60) { $0 == "ready\n" })
        #expect(program.stop(signal: SIGTERM, timeout: 60) == 5)
        #expect(program.stdout == "ready\nbye\n")
    }

    /// Foundation starts children with almost every signal blocked: SIGTERM to a plain sleep never arrives, so stop
    /// times out, kills it and says so; cleared, the same SIGTERM ends it.
    @Test func theSignalMaskIsClearedOnlyWhenAsked() throws {
        let sleep = URL(fileURLWithPath: "/bin/sleep")
        let blocked = try RunningProgram(sleep, ["600"])
        #expect(blocked.stop(signal: SIGTERM, timeout: 1) == nil)
        #expect(!blocked.isRunning && blocked.terminationSignal == SIGKILL)
        let cleared = try RunningProgram(sleep, ["600"], clearingSignalMask: true)
        #expect(waitUntil(timeout: 60) { Self.command(of: cleared.processIdentifier).hasPrefix("/bin/sleep") })
        #expect(cleared.stop(signal: SIGTERM, timeout: 60) == SIGTERM && cleared.terminationSignal == SIGTERM)
    }

    /// finish bounds the wait: a program still running is killed and reported as not having ended by itself.
    @Test func finishKillsAProgramThatDoesNotEnd() throws {
        let program = try RunningProgram(Self.bash, ["-c", "echo started >&2; exec sleep 600"])
        let (ended, stderr) = program.finish(timeout: 1)
        #expect(!ended && stderr == "started\n" && program.terminationSignal == SIGKILL)
    }

    /// A program released while running is killed.
    @Test func aProgramReleasedWhileRunningIsKilled() throws {
        var program: RunningProgram? = try RunningProgram(URL(fileURLWithPath: "/bin/sleep"), ["600"])
        let pid = try #require(program?.processIdentifier)
        program = nil
        #expect(!Self.command(of: pid).hasPrefix("/bin/sleep"), "\(Self.command(of: pid))")
    }

    /// The command line of process `pid` (empty once it is gone).
    static func command(of pid: Int32) -> String {
        let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
        return String(decoding: raw, as: UTF8.self).replacingOccurrences(of: "\0", with: " ")
    }
}
