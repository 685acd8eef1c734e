// `charrnn train` through the built binary, signalled: SIGINT and SIGTERM during training write a checkpoint that
// resumes and say how to resume; before training starts they end the run at once, writing nothing.
import Foundation
import TestSupport
import Testing

@testable import CharRNN

@Suite struct InterruptTests {
    /// SIGINT and SIGTERM once an evaluation has been written: a resumable latest checkpoint, status 130, and how to
    /// resume; a leftover temporary file from an earlier crash is cleaned up by the run.
    @Test(arguments: [SIGINT, SIGTERM])
    func aSignalWritesAResumableCheckpointAndSaysHowToResume(signal: Int32) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = dir.appendingPathComponent("corpus.txt")
        try TrainCommandTests.text.write(to: corpus)
        let run = dir.appendingPathComponent("run").path
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        try Data("junk".utf8).write(
            to: URL(fileURLWithPath: run + "/" + AtomicFile.temporaryPrefix + "latest.safetensors-1"))
        let training = try startCharRNN([
            "train", "--no-auto", corpus.path, "-o", run, "--hidden", "16", "--batch-size", "4", "--seq-length", "10",
            "--max-steps", "100000000", "--eval-every", "3",
        ])
        // Signal once the first evaluation is on disk (its metrics line follows its checkpoints).
        #expect(
            waitUntil { FileManager.default.fileExists(atPath: run + "/metrics.jsonl") || !training.isRunning })
        kill(training.processIdentifier, signal)
        let (ended, stderr) = training.finish()
        #expect(ended && training.terminationStatus == 130, "\(stderr)")
        #expect(
            stderr.contains("interrupted at step") && stderr.contains("--resume \(run)/latest.safetensors"), "\(stderr)"
        )
        let checkpoint = try Checkpoint.read(from: run + "/latest.safetensors")
        #expect(checkpoint.state.step >= 3)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: run).filter {
            $0.hasPrefix(AtomicFile.temporaryPrefix)
        }
        #expect(leftovers.isEmpty)
        let resumed = try runCharRNN([
            "train", "--no-auto", corpus.path, "-o", run, "--resume", run + "/latest.safetensors",
            "--max-steps", "\(checkpoint.state.step + 3)", "--quiet",
        ])
        #expect(resumed.status == 0, "\(resumed.stderr)")
    }

    /// An interrupt before the first validation saves a checkpoint and says there is no plot yet (not that
    /// metrics.jsonl cannot be read).
    @Test func anInterruptBeforeTheFirstValidationSaysThereIsNoPlotYet() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run").path
        let corpus = dir.appendingPathComponent("corpus.txt")
        try TrainCommandTests.text.write(to: corpus)
        let training = try startCharRNN([
            "train", "--no-auto", corpus.path, "-o", run, "--hidden", "16", "--batch-size", "4", "--seq-length", "10",
            "--max-steps", "100000000", "--eval-every", "100000",
        ])
        // The banner is printed once a signal means "stop and save".
        #expect(waitUntil { training.stderr.contains("writing to") || !training.isRunning })
        training.interrupt()
        let (ended, stderr) = training.finish()
        #expect(ended && training.terminationStatus == 130, "\(stderr)")
        #expect(stderr.contains("charrnn: no loss plot yet: the first validation comes at step 100000"), "\(stderr)")
        #expect(!stderr.contains("warning"), "\(stderr)")
        #expect(throws: Never.self) { try Checkpoint.read(from: run + "/latest.safetensors") }
    }

    /// A signal while the corpus is being read (here a FIFO nobody writes to) ends the process at once with 130
    /// and one line; nothing is written, not even the run directory.
    @Test(arguments: [SIGINT, SIGTERM])
    func aSignalBeforeTrainingStartsEndsAtOnceWritingNothing(signal: Int32) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("corpus.fifo").path
        try #require(mkfifo(fifo, 0o600) == 0)
        let run = dir.appendingPathComponent("run").path
        let training = try startCharRNN(["train", "--no-auto", fifo, "-o", run, "--hidden", "16", "--max-steps", "5"])
        // charrnn has the FIFO open for reading (so its handlers are in: they come first) once our non-blocking
        // open for writing succeeds; it then waits for text that never comes.
        var writer: Int32 = -1
        #expect(
            waitUntil {
                writer = open(fifo, O_WRONLY | O_NONBLOCK)
                return writer >= 0 || !training.isRunning
            })
        defer { if writer >= 0 { close(writer) } }
        kill(training.processIdentifier, signal)
        let (ended, stderr) = training.finish()
        #expect(ended && training.terminationStatus == 130, "\(stderr)")
        #expect(stderr == "charrnn: interrupted before training started; nothing was written\n", "\(stderr)")
        #expect(!FileManager.default.fileExists(atPath: run))
    }

    /// With only a time limit, the progress line gives an estimated total (~) and an ETA, as with a step limit.
    @Test func aTimeLimitShowsAnEstimatedTotalAndETA() throws {
        let r = try runCharRNN(
            [
                "train", "--no-auto", "-o", try temporaryDirectory().appendingPathComponent("run").path, "--hidden",
                "16",
                "--batch-size", "4",
                "--seq-length", "10", "--max-time", "2", "--eval-every", "5", "--eval-tokens", "20",
            ], stdin: TrainCommandTests.text)
        #expect(r.status == 0, "\(r.stderr)")
        // Without a terminal the line is printed at each evaluation.
        let line = try #require(r.stderr.split(separator: "\n").first { $0.hasPrefix("step 5/") }, "\(r.stderr)")
        #expect(line.contains(/^step 5\/~[0-9]+ .* ETA [0-9]+m[0-9]{2}s$/), "\(line)")
    }
}
