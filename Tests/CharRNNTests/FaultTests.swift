// Faults a run must survive without losing work: a checkpoint write that fails (a full disk), a metrics append that
// fails, a second interrupt, and a numerical blow-up after checkpoints exist. The trainer's own guard against a
// non-finite update is NonFiniteUpdateTests'.
import Foundation
import TestSupport
import Testing

@testable import CharRNN

@Suite struct FaultTests {
    @Test func aFailedCheckpointWriteLeavesThePreviousOneAndStopsWithOneLine() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.path + "/run"
        let flags = [
            "--hidden", "64", "--embedding", "8", "--batch-size", "3", "--seq-length", "7", "--eval-every", "3",
            "--quiet",
        ]
        let first = try runCharRNN(
            ["train", "--no-auto", "-o", run, "--max-steps", "3"] + flags, stdin: ResumeTests.text)
        #expect(first.status == 0, "\(first.stderr)")
        let latest = try Data(contentsOf: URL(fileURLWithPath: run + "/latest.safetensors"))
        #expect(latest.count > 100 * 1024)  // above the limit below
        // Resumed under a 64 KiB file-size limit: the next checkpoint cannot be written, as on a full disk.
        let limited = try runCharRNN(
            ["train", "--no-auto", "-o", run, "--resume", run + "/latest.safetensors", "--max-steps", "6", "--quiet"],
            stdin: ResumeTests.text, fileSizeLimitKiB: 64)
        #expect(limited.status == 1)
        #expect(
            limited.stderr.hasPrefix(
                "charrnn: error: \(run)/latest.safetensors: cannot write (write failed: File too large)"),
            "\(limited.stderr)")
        #expect(limited.stderr.split(separator: "\n").count == 1, "\(limited.stderr)")
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: run + "/latest.safetensors")) == latest,
            "the previous checkpoint changed")
        let names = try FileManager.default.contentsOfDirectory(atPath: run)
        #expect(!names.contains { $0.hasPrefix(AtomicFile.temporaryPrefix) }, "\(names)")
        // And the run resumes from it once there is room.
        let again = try runCharRNN(
            ["train", "--no-auto", "-o", run, "--resume", run + "/latest.safetensors", "--max-steps", "6", "--quiet"],
            stdin: ResumeTests.text)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try Checkpoint.read(from: run + "/latest.safetensors").state.step == 6)
    }

    /// metrics.jsonl that cannot be appended to (here a directory in its place) stops the run with one line
    /// naming it, after the checkpoint of that evaluation was written.
    @Test func aFailedMetricsAppendStopsWithOneLineAfterTheCheckpoint() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.path + "/run"
        try FileManager.default.createDirectory(atPath: run + "/metrics.jsonl", withIntermediateDirectories: true)
        let r = try runCharRNN(
            [
                "train", "--no-auto", "-o", run, "--hidden", "12", "--embedding", "6", "--batch-size", "3",
                "--seq-length", "7",
                "--max-steps", "6", "--eval-every", "3", "--quiet",
            ], stdin: ResumeTests.text)
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("charrnn: error: \(run)/metrics.jsonl: cannot write"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(try Checkpoint.read(from: run + "/latest.safetensors").state.step == 3)
    }

    /// A blow-up after checkpoints exist (resumed with an absurd learning rate): without a validation in between,
    /// five skipped updates in a row stop the run; with one, its non-finite loss does. Either way the checkpoints
    /// on disk are the ones from before, finite, byte for byte.
    @Test func nonFiniteUpdatesAreSkippedAndRepeatedOnesStopTheRun() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.path + "/run"
        let first = try runCharRNN(
            [
                "train", "--no-auto", "-o", run, "--hidden", "16", "--embedding", "8", "--batch-size", "3",
                "--seq-length", "7",
                "--max-steps", "3", "--eval-every", "3", "--quiet",
            ], stdin: ResumeTests.text)
        try #require(first.status == 0, "\(first.stderr)")
        let before = try ["latest", "best"].map {
            try Data(contentsOf: URL(fileURLWithPath: "\(run)/\($0).safetensors"))
        }
        // 1e38, near Float's largest: the first update blows the weights up and every loss after it is non-finite
        // (at 1e30 whether the products overflow depends on OpenBLAS's kernels, and its AVX-512 ones do not).
        for (evalEvery, message) in [
            ("1000", "5 updates in a row had a non-finite loss or gradient"),
            ("1", "the validation loss at step 4 is not finite"),
        ] {
            let r = try runCharRNN(
                [
                    "train", "--no-auto", "-o", run, "--resume", run + "/latest.safetensors", "--learning-rate", "1e38",
                    "--grad-clip", "0",
                    "--eval-every", evalEvery, "--max-steps", "50", "--quiet",
                ], stdin: ResumeTests.text)
            #expect(r.status == 1)
            #expect(r.stderr.hasPrefix("charrnn: error: training diverged: \(message)"), "\(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            for (name, bytes) in zip(["latest", "best"], before) {
                let path = "\(run)/\(name).safetensors"
                #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes, "\(name) changed")
                for (tensor, values) in try Checkpoint.read(from: path).tensors {
                    let finite = values.allSatisfy { $0.isFinite }
                    #expect(finite, "\(name): \(tensor)")
                }
            }
        }
    }

    @Test func aSecondInterruptExitsAtOnceAndLeavesLoadableCheckpoints() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.path + "/run"
        let corpus = dir.path + "/corpus.txt"
        try ResumeTests.text.write(to: URL(fileURLWithPath: corpus))
        for attempt in 0..<3 {
            // Checkpoints of ~3 MB after every update, so interrupts often land in a write. The signals go once
            // the run has written attempt + 1 more evaluations (metrics lines), whatever the machine's speed.
            let lines =
                (try? String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8))?.split(separator: "\n").count
                ?? 0
            let process = try startCharRNN(
                [
                    "train", "--no-auto", corpus, "-o", run, "--hidden", "192", "--batch-size", "2", "--seq-length",
                    "5",
                    "--eval-every", "1",
                    "--eval-tokens", "20", "--max-steps", "100000000", "--quiet",
                ] + (attempt > 0 ? ["--resume", run + "/latest.safetensors"] : []))
            let wrote = waitUntil {
                let now = (try? String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8))?.split(separator: "\n")
                    .count
                return (now ?? 0) >= lines + attempt + 1 || !process.isRunning
            }
            #expect(wrote && process.isRunning, "attempt \(attempt): no evaluation written")
            process.interrupt()
            process.interrupt()
            // A bound for a hang, not a measure of speed: the second SIGINT exits at once.
            #expect(waitUntil(timeout: 60) { !process.isRunning }, "attempt \(attempt): still running")
            process.waitUntilExit()
            #expect(process.terminationStatus == 130)
            for name in ["latest", "best"] {
                #expect(throws: Never.self, "attempt \(attempt): \(name)") {
                    try Checkpoint.read(from: "\(run)/\(name).safetensors")
                }
            }
        }
        // The next run clears whatever temporary files the exits left.
        let step = try Checkpoint.read(from: run + "/latest.safetensors").state.step
        let resumed = try runCharRNN(
            [
                "train", "--no-auto", corpus, "-o", run, "--resume", run + "/latest.safetensors", "--max-steps",
                "\(step + 1)",
                "--quiet",
            ])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: run).filter {
            $0.hasPrefix(AtomicFile.temporaryPrefix)
        }
        #expect(leftovers.isEmpty)
    }
}
