// TestSupport's runProgram, on bash: a chatty program never blocks on a full pipe, input of any size arrives, the
// environment and directory are the ones given, how a program ended is told, and a hang is killed with its
// process group and reported instead of hanging the suite.
import Foundation
import TestSupport
import Testing

@Suite struct RunProgramTests {
    static let bash = URL(fileURLWithPath: "/bin/bash")

    /// 4 MB on stdout and 4 MB on stderr, interleaved, far beyond a pipe's 64 KB: both read whole.
    @Test func aChattyProgramNeverBlocksOnAFullPipe() throws {
        let script = "for i in 1 2 3 4; do head -c 1048576 /dev/zero; head -c 1048576 /dev/zero >&2; done"
        let r = try runProgram(Self.bash, ["-c", script], timeout: 60)
        #expect(r.status == 0 && r.signal == nil)
        #expect(r.stdoutBytes.count == 4 << 20 && r.stderrBytes.count == 4 << 20)
    }

    /// 3 MB of input echoed back by cat, which writes before it has read it all.
    @Test func largeInputArrivesWhole() throws {
        let input = Data((0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) })
        let r = try runProgram(URL(fileURLWithPath: "/bin/cat"), input: .bytes(input), timeout: 60)
        #expect(r.status == 0 && r.stdoutBytes == input)
    }

    /// A program that exits without reading its input ends the writing without ending the test process.
    @Test func inputNobodyReadsIsDropped() throws {
        let r = try runProgram(Self.bash, ["-c", "exit 3"], input: .bytes(Data(count: 8 << 20)), timeout: 60)
        #expect(r.status == 3)
    }

    @Test func environmentAndDirectoryAreTheOnesGiven() throws {
        try withTemporaryDirectory { dir in
            let r = try runProgram(
                Self.bash, ["-c", "echo \"$CHARRNN_TEST_VALUE\"; pwd; echo \"$PATH\""],
                environment: ["CHARRNN_TEST_VALUE": "a b"], currentDirectory: dir)
            let lines = r.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == 3, "\(r.stdout)")
            #expect(lines.first == "a b")
            #expect(
                URL(fileURLWithPath: lines[1]).resolvingSymlinksInPath().path == dir.resolvingSymlinksInPath().path)
            // Added to the test process's environment, not instead of it.
            #expect(lines.last == ProcessInfo.processInfo.environment["PATH"])
        }
    }

    @Test func anExitStatusAndASignalAreTold() throws {
        let exited = try runProgram(Self.bash, ["-c", "echo out; echo err >&2; exit 7"])
        #expect(exited.status == 7 && exited.signal == nil)
        #expect(exited.stdout == "out\n" && exited.stderr == "err\n")
        let killed = try runProgram(Self.bash, ["-c", "kill -KILL $$"])
        #expect(killed.signal == SIGKILL && killed.status == SIGKILL)
    }

    @Test func mergedOutputKeepsTheOrderWritten() throws {
        let r = try runProgram(
            Self.bash, ["-c", "echo 1; echo 2 >&2; echo 3; echo 4 >&2"], mergingStandardError: true)
        #expect(r.stdout == "1\n2\n3\n4\n" && r.stderrBytes.isEmpty, "\(r.stdout)")
    }

    /// A hang (here a child in the background holding the pipes, and the program waiting for it) is killed after
    /// the timeout, with every process of its group, and reported with what it printed.
    @Test func aHangIsKilledWithItsProcessGroupAndReported() throws {
        try withTemporaryDirectory { dir in
            let pidFile = dir.appendingPathComponent("child.pid").path
            let started = Date()
            let error = #expect(throws: ProgramError.self) {
                try runProgram(Self.bash, ["-c", "sleep 600 & echo $! > '\(pidFile)'; echo waiting; wait"], timeout: 2)
            }
            guard case .hung(_, let seconds, let stdout, _)? = error else { return }
            #expect(seconds == 2 && stdout == "waiting\n", "\(String(describing: error))")
            #expect("\(String(describing: error))".contains("ran for over 2 s and was killed"))
            #expect(Date().timeIntervalSince(started) < 30)
            let child = try #require(
                Int32(
                    try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(
                        in: .whitespacesAndNewlines)))
            // Killed, and reaped by init once its parent died: no such process, or a zombie on its way out.
            let gone = waitUntil(timeout: 10) {
                let state = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8)
                return state == nil || state!.contains(") Z ")
            }
            #expect(gone, "the background child \(child) outlived the timeout")
        }
    }

    @Test func aMissingExecutableIsNamed() {
        let error = #expect(throws: ProgramError.self) { try runProgram(builtExecutable("no-such-program")) }
        #expect(String(describing: error).contains("no-such-program: no such executable"))
    }
}
