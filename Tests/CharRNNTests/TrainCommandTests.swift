// `charrnn train` through the built binary: a seconds-long run from stdin, its files, and one-line errors.
import Foundation
import TestSupport
import Testing

@testable import CharRNN

@Suite struct TrainCommandTests {
    static let text: Data = {
        var s = ""
        for i in 0..<40 { s += "to be or not to be, line \(i % 5)\n" }
        return Data(s.utf8)
    }()

    @Test func trainsFromStdinAndWritesCheckpointsAndMetrics() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run").path
        let r = try runCharRNN(
            [
                "train", "-o", run, "--hidden", "16", "--embedding", "8", "--batch-size", "4", "--seq-length", "10",
                "--max-steps", "12", "--eval-every", "6", "--seed", "3", "--cell", "gru",
            ], stdin: Self.text)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("trained 12 steps"))
        #expect(r.stderr.contains("\(run)/best.safetensors"))
        let metrics = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(metrics.count == 2)
        let first = try jsonObject(String(metrics[0]))
        for key in [
            "step", "epoch", "tokens", "train_loss", "val_loss", "learning_rate", "grad_norm", "tokens_per_second",
            "elapsed_seconds",
        ] {
            #expect(first[key] != nil, "metrics.jsonl lacks \(key)")
        }
        let checkpoint = try Checkpoint.read(from: run + "/latest.safetensors")
        #expect(checkpoint.model.cell == .gru && checkpoint.state.step == 12)
        // The same command again writes the same bytes.
        let again = dir.appendingPathComponent("again").path
        let r2 = try runCharRNN(
            [
                "train", "-o", again, "--hidden", "16", "--embedding", "8", "--batch-size", "4", "--seq-length", "10",
                "--max-steps", "12", "--eval-every", "6", "--seed", "3", "--cell", "gru", "--quiet",
            ], stdin: Self.text)
        #expect(r2.status == 0 && r2.stderr.isEmpty)
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: again + "/latest.safetensors"))
                == Data(contentsOf: URL(fileURLWithPath: run + "/latest.safetensors")))

        // Resuming: more steps work; conflicting model flags and unseen tokens are one-line errors.
        let resumed = try runCharRNN(
            ["train", "-o", run, "--resume", run + "/latest.safetensors", "--max-steps", "14", "--quiet"],
            stdin: Self.text)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try Checkpoint.read(from: run + "/latest.safetensors").state.step == 14)
        let conflict = try runCharRNN(
            ["train", "-o", run, "--resume", run + "/latest.safetensors", "--hidden", "32"], stdin: Self.text)
        #expect(conflict.status == 1 && conflict.stderr.contains("--hidden 32 (checkpoint: 16)"), "\(conflict.stderr)")
        let unseen = try runCharRNN(
            ["train", "-o", run, "--resume", run + "/latest.safetensors"], stdin: Data("XYZ qqq\n".utf8) + Self.text)
        #expect(unseen.status == 1 && unseen.stderr.contains("outside the checkpoint's vocabulary"), "\(unseen.stderr)")
    }

    @Test func unwritableRunDirectoryIsOneLine() throws {
        let r = try runCharRNN(
            [
                "train", "-o", "/dev/null/run", "--hidden", "8", "--max-steps", "1", "--batch-size", "2",
                "--seq-length", "4",
            ], stdin: Self.text)
        #expect(r.status == 1)
        #expect(
            r.stderr.contains("charrnn: error: /dev/null/run: cannot write (cannot create the run directory)"),
            "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)  // setup fails before the banner: only the error
    }

    @Test(arguments: [
        (["train", "--dropout", "1"], "--dropout must be in [0, 1)"),
        (["train", "--layers", "0"], "--layers must be at least 1"),
        (["train", "--hidden=-3"], "--hidden must be at least 1"),
        (["train", "--batch-size", "0"], "--batch-size must be at least 1"),
        (["train", "--learning-rate", "0"], "--learning-rate must be positive"),
        (["train", "--val-frac", "1.5"], "--val-frac must be in [0, 1)"),
        (["train", "--cell", "transformer"], "'transformer' is invalid for '--cell <cell>'"),
        (["train", "--batch-size", "500", "--seq-length", "500"], "corpus too short"),
        (["train", "--resume", "/no/such.safetensors"], "/no/such.safetensors: no such checkpoint"),
        (["train", "--hidden", "100000"], "more than this machine's"),
    ])
    func badInputIsOneLineAndNonZeroExit(arguments: [String], message: String) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try runCharRNN(arguments + ["-o", dir.path + "/run"], stdin: Self.text)
        #expect(r.status != 0)
        #expect(r.stderr.hasPrefix("charrnn: error: ") && r.stderr.contains(message), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/run/latest.safetensors"))
    }
}

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
            "train", corpus.path, "-o", run, "--hidden", "16", "--batch-size", "4", "--seq-length", "10",
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
            "train", corpus.path, "-o", run, "--resume", run + "/latest.safetensors",
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
            "train", corpus.path, "-o", run, "--hidden", "16", "--batch-size", "4", "--seq-length", "10",
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
        let training = try startCharRNN(["train", fifo, "-o", run, "--hidden", "16", "--max-steps", "5"])
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
                "train", "-o", try temporaryDirectory().appendingPathComponent("run").path, "--hidden", "16",
                "--batch-size", "4",
                "--seq-length", "10", "--max-time", "2", "--eval-every", "5", "--eval-tokens", "20",
            ], stdin: TrainCommandTests.text)
        #expect(r.status == 0, "\(r.stderr)")
        // Without a terminal the line is printed at each evaluation.
        let line = try #require(r.stderr.split(separator: "\n").first { $0.hasPrefix("step 5/") }, "\(r.stderr)")
        #expect(line.contains(/^step 5\/~[0-9]+ .* ETA [0-9]+m[0-9]{2}s$/), "\(line)")
    }
}
