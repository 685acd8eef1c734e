// Exact resume through the binary: training N steps in one run, and N/2 then `--resume` for the rest, give the
// same checkpoint bytes (weights, optimizer moments and step, RNG, data cursor, carried state, best loss), the
// same metrics apart from timings, and so the same samples; from the latest checkpoint and from the best, and on
// another thread count.
import Foundation
import Testing
import TestSupport

@testable import CharRNN

@Suite struct ResumeTests {
    static let text: Data = {
        var s = ""
        for i in 0..<60 { s += "she sells sea shells, line \(i % 7) of \(i % 3)\n" }
        return Data(s.utf8)
    }()

    /// Dropout, a cosine schedule with warm-up and several validations exercise every piece of resumable state;
    /// `regularised` adds every other regularisation (their masks come from the saved generator).
    func flags(_ cell: String, regularised: Bool = false) -> [String] {
        (regularised
            ? [
                "--weight-drop", "0.3", "--input-dropout", "0.1", "--output-dropout", "0.2", "--embedding-dropout",
                "0.1",
            ]
            : []) + [
                "--cell", cell, "--hidden", "12", "--embedding", "6", "--layers", "2", "--dropout", "0.2",
                "--batch-size",
                "3",
                "--seq-length", "7", "--eval-every", "4", "--lr-schedule", "cosine", "--warmup-steps", "3",
                "--lr-decay-steps", "16", "--seed", "11",
                "--quiet",
            ]
    }

    func train(_ run: String, _ arguments: [String]) throws {
        let r = try runCharRNN(["train", "--no-auto", "-o", run] + arguments, stdin: Self.text)
        #expect(r.status == 0, "\(r.stderr)")
    }

    /// metrics.jsonl without the fields that measure time.
    func metrics(_ run: String) throws -> [[String: Double]] {
        try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map { line in
            var fields = try expectType(
                try jsonObject(String(line)) as? [String: Double], [String: Double].self, "a metrics line")
            fields["elapsed_seconds"] = nil
            fields["tokens_per_second"] = nil
            return fields
        }
    }

    func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    @Test(arguments: [("lstm", false), ("gru", false), ("rnn", false), ("lstm", true), ("gru", true)])
    func stoppingAndResumingEqualsOneRun(cell: String, regularised: Bool) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (whole, split) = (dir.path + "/whole", dir.path + "/split")
        try train(whole, flags(cell, regularised: regularised) + ["--max-steps", "16"])
        try train(split, flags(cell, regularised: regularised) + ["--max-steps", "8"])
        let halfBest = dir.path + "/half-best.safetensors"
        try FileManager.default.copyItem(atPath: split + "/best.safetensors", toPath: halfBest)
        try train(split, ["--resume", split + "/latest.safetensors", "--max-steps", "16", "--quiet"])
        #expect(
            try bytes(split + "/latest.safetensors") == bytes(whole + "/latest.safetensors"),
            "\(cell): checkpoints differ")
        #expect(try bytes(split + "/best.safetensors") == bytes(whole + "/best.safetensors"))
        #expect(try metrics(split) == metrics(whole))
        let sample = ["sample", "--length", "80", "--seed", "4", "--prime", "she"]
        let (a, b) = (
            try runCharRNN(sample + ["-m", whole + "/latest.safetensors"]),
            try runCharRNN(sample + ["-m", split + "/latest.safetensors"])
        )
        #expect(a.status == 0 && a.stdoutBytes == b.stdoutBytes)

        // From a best checkpoint (the first half's, at step 4 or 8): it holds the whole state at its step, so
        // resuming it to step 16 retraces the steps after it exactly.
        let best = try Checkpoint.read(from: halfBest)
        #expect(best.state.step == 4 || best.state.step == 8)
        let fromBest = dir.path + "/from-best"
        try train(fromBest, ["--resume", halfBest, "--max-steps", "16", "--quiet"])
        #expect(
            try bytes(fromBest + "/latest.safetensors") == bytes(whole + "/latest.safetensors"),
            "\(cell): resuming from best differs")
    }
}

extension ResumeTests {
    /// 8 steps on one thread then 8 more on two equal 16 steps on two: the thread count is not part of the state.
    /// (B = 32, T = 8 and H = 128, so the batch rows, the update and the large products, cut into parts by their
    /// shape, really split over two threads.)
    @Test func threadCountMayChangeAcrossAResume() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (whole, split) = (dir.path + "/whole", dir.path + "/split")
        let flags = [
            "--hidden", "128", "--embedding", "8", "--batch-size", "32", "--seq-length", "8", "--dropout", "0.1",
            "--layers", "2", "--eval-every", "4", "--eval-tokens", "200", "--seed", "3", "--quiet",
            "--weight-drop", "0.3", "--input-dropout", "0.1", "--output-dropout", "0.2", "--embedding-dropout", "0.1",
        ]
        try train(whole, flags + ["--max-steps", "16", "--threads", "2"])
        try train(split, flags + ["--max-steps", "8", "--threads", "1"])
        try train(split, ["--resume", split + "/latest.safetensors", "--max-steps", "16", "--threads", "2", "--quiet"])
        #expect(try bytes(split + "/latest.safetensors") == bytes(whole + "/latest.safetensors"))
    }
}
