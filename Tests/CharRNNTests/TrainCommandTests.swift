// `charrnn train` through the built binary: a seconds-long run from stdin, its files, and one-line errors.
// Signals are InterruptTests'.
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
                "train", "--no-auto", "-o", run, "--hidden", "16", "--embedding", "8", "--batch-size", "4",
                "--seq-length", "10",
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
                "train", "--no-auto", "-o", again, "--hidden", "16", "--embedding", "8", "--batch-size", "4",
                "--seq-length", "10",
                "--max-steps", "12", "--eval-every", "6", "--seed", "3", "--cell", "gru", "--quiet",
            ], stdin: Self.text)
        #expect(r2.status == 0 && r2.stderr.isEmpty)
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: again + "/latest.safetensors"))
                == Data(contentsOf: URL(fileURLWithPath: run + "/latest.safetensors")))

        // Resuming: more steps work; conflicting model flags and unseen tokens are one-line errors.
        let resumed = try runCharRNN(
            ["train", "--no-auto", "-o", run, "--resume", run + "/latest.safetensors", "--max-steps", "14", "--quiet"],
            stdin: Self.text)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try Checkpoint.read(from: run + "/latest.safetensors").state.step == 14)
        let conflict = try runCharRNN(
            ["train", "--no-auto", "-o", run, "--resume", run + "/latest.safetensors", "--hidden", "32"],
            stdin: Self.text)
        #expect(conflict.status == 1 && conflict.stderr.contains("--hidden 32 (checkpoint: 16)"), "\(conflict.stderr)")
        let unseen = try runCharRNN(
            ["train", "--no-auto", "-o", run, "--resume", run + "/latest.safetensors"],
            stdin: Data("XYZ qqq\n".utf8) + Self.text)
        #expect(unseen.status == 1 && unseen.stderr.contains("outside the checkpoint's vocabulary"), "\(unseen.stderr)")
    }

    @Test func unwritableRunDirectoryIsOneLine() throws {
        let r = try runCharRNN(
            [
                "train", "--no-auto", "-o", "/dev/null/run", "--hidden", "8", "--max-steps", "1", "--batch-size", "2",
                "--seq-length", "4",
            ], stdin: Self.text)
        #expect(r.status == 1)
        #expect(
            r.stderr.contains("charrnn: error: /dev/null/run: cannot write (cannot create the run directory)"),
            "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)  // setup fails before the banner: only the error
    }

    @Test(arguments: [
        (["train", "--no-auto", "--dropout", "1"], "--dropout must be in [0, 1)"),
        (["train", "--no-auto", "--layers", "0"], "--layers must be at least 1"),
        (["train", "--no-auto", "--hidden=-3"], "--hidden must be at least 1"),
        (["train", "--no-auto", "--batch-size", "0"], "--batch-size must be at least 1"),
        (["train", "--no-auto", "--learning-rate", "0"], "--learning-rate must be positive"),
        (["train", "--no-auto", "--val-frac", "1.5"], "--val-frac must be in [0, 1)"),
        (["train", "--no-auto", "--cell", "transformer"], "'transformer' is invalid for '--cell <cell>'"),
        (["train", "--no-auto", "--batch-size", "500", "--seq-length", "500"], "corpus too short"),
        (["train", "--no-auto", "--resume", "/no/such.safetensors"], "/no/such.safetensors: no such checkpoint"),
        (["train", "--no-auto", "--hidden", "100000"], "more than this machine's"),
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
