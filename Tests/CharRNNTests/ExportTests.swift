// `charrnn export`: a weights-only copy samples the same bytes and refuses to resume.
import Foundation
import TestSupport
import Testing

@testable import CharRNN

@Suite struct ExportTests {
    @Test func weightsOnlyCopiesSampleTheSameAndRefuseToResume() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.path + "/run"
        let trained = try runCharRNN(
            [
                "train", "--no-auto", "-o", run, "--hidden", "16", "--embedding", "8", "--batch-size", "3",
                "--seq-length", "7",
                "--max-steps", "6", "--eval-every", "3", "--quiet",
            ], stdin: ResumeTests.text)
        #expect(trained.status == 0, "\(trained.stderr)")
        let exported = dir.path + "/small.safetensors"
        let r = try runCharRNN(["export", run + "/latest.safetensors", "-o", exported])
        #expect(r.status == 0 && r.stdout.hasPrefix(exported + ": "), "\(r.stderr)")
        let (full, small) = (
            try Checkpoint.read(from: run + "/latest.safetensors"), try Checkpoint.read(from: exported)
        )
        #expect(full.hasOptimizerState && !small.hasOptimizerState)
        #expect(small.order.allSatisfy { !$0.hasPrefix("optimizer.") && !$0.hasPrefix("state.") })
        for name in small.order { #expect(small.tensors[name] == full.tensors[name], "\(name)") }
        let sizes = try [run + "/latest.safetensors", exported].map { try fileSize($0) }
        #expect(sizes[1] * 2 < sizes[0])
        let sample = ["sample", "--length", "60", "--seed", "9", "--prime", "she"]
        #expect(
            try runCharRNN(sample + ["-m", exported]).stdoutBytes
                == runCharRNN(sample + ["-m", run + "/latest.safetensors"]).stdoutBytes)
        let resumed = try runCharRNN(
            ["train", "--no-auto", "-o", dir.path + "/again", "--resume", exported, "--max-steps", "9"],
            stdin: ResumeTests.text)
        #expect(resumed.status == 1 && resumed.stderr.contains("holds weights only"), "\(resumed.stderr)")
        #expect(resumed.stderr.split(separator: "\n").count == 1)
    }
}
