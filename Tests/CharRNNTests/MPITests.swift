// Data-parallel training through the binary under Open MPI's mpirun, on loopback: N ranks train what one process
// trains, bfloat16 gradients train close to float32 ones, runs repeat byte for byte, and resumes work across rank
// counts. Faults are in MPIFaultTests.swift, the shim in BFloat16Tests.swift and MPILoadingTests.swift, two hosts in
// MPIHostsTests.swift; runMPI and startMPI in Runners.swift.
//
// Needs mpirun (Debian: openmpi-bin; scripts/setup.sh installs it, and so the test command); without it they fail
// saying so.
import Foundation
import TestSupport
import Testing

@testable import CharRNN

/// A tiny-shakespeare-like corpus of 60,000 characters for these tests (ASCII verse, so every size works).
func mpiCorpus(in dir: URL) throws -> String {
    var text = ""
    var rng = SplitMix64(seed: 17)
    let words = ["the", "king", "shall", "not", "love", "what", "night", "speak", "my", "lord", "good", "sweet", "is"]
    while text.count < 60_000 {
        for _ in 0..<(5 + Int(rng.next() % 6)) { text += words[Int(rng.next() % UInt64(words.count))] + " " }
        text += rng.next() % 4 == 0 ? ".\n\n" : ",\n"
    }
    let path = dir.appendingPathComponent("corpus.txt").path
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

/// The last validation loss in RUN/metrics.jsonl.
func lastValidationLoss(_ run: String) throws -> Double {
    let lines = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
    return try expectType(try jsonObject(String(try #require(lines.last)))["val_loss"], Double.self, "val_loss")
}

/// The largest difference between two checkpoints' parameters (optimizer moments and state left out).
func largestWeightDifference(_ a: String, _ b: String) throws -> Float {
    let (x, y) = (try Checkpoint.read(from: a), try Checkpoint.read(from: b))
    var worst: Float = 0
    for name in ParameterStore<Float>.layout(x.model).map(\.name) {
        let (u, v) = (try #require(x.tensors[name]), try #require(y.tensors[name]))
        for (p, q) in zip(u, v) { worst = max(worst, abs(p - q)) }
    }
    return worst
}

@Suite struct MPITests {
    static func flags(_ cell: String, steps: Int) -> [String] {
        [
            "--cell", cell, "--hidden", "32", "--embedding", "8", "--batch-size", "8", "--seq-length", "16",
            "--dropout", "0.1", "--max-steps", "\(steps)", "--eval-every", "25", "--eval-tokens", "4000", "--seed", "5",
            "--lr-schedule", "cosine", "--warmup-steps", "10", "--lr-decay-steps", "100", "--quiet",
        ]
    }

    /// 2 ranks and 1 process with the same seed and global batch, 100 updates: validation losses within 1e-4
    /// relative, and weights within 1e-3 (measured: ~1e-6; the ranks' gradients are summed in another order).
    @Test(arguments: ["lstm", "gru"])
    func twoRanksTrainWhatOneProcessTrains(cell: String) throws {
        try withTemporaryDirectory { dir in
            let corpus = try mpiCorpus(in: dir)
            let (one, two) = (dir.path + "/one", dir.path + "/two")
            let single = try runCharRNN(["train", "--no-auto", corpus, "-o", one] + Self.flags(cell, steps: 100))
            try #require(single.status == 0, "\(single.stderr)")
            let ranks = try runMPI(ranks: 2, ["train", "--no-auto", corpus, "-o", two] + Self.flags(cell, steps: 100))
            try #require(ranks.status == 0, "\(ranks.stderr)")
            let (a, b) = (try lastValidationLoss(one), try lastValidationLoss(two))
            #expect(abs(a - b) / a < 1e-4, "\(cell): one process \(a), two ranks \(b)")
            let worst = try largestWeightDifference(one + "/latest.safetensors", two + "/latest.safetensors")
            #expect(worst < 1e-3, "\(cell): weights differ by up to \(worst)")
        }
    }

    /// Gradients sent as bfloat16: the same bytes twice, and within 1% of float32's validation loss after 100
    /// updates (docs/performance-log.md has longer runs).
    @Test func bfloat16GradientsTrainCloseToFloat32() throws {
        try withTemporaryDirectory { dir in
            let corpus = try mpiCorpus(in: dir)
            var losses: [Double] = []
            for (run, exchange) in [("f32", "float32"), ("b16", "bfloat16"), ("b16again", "bfloat16")] {
                let r = try runMPI(
                    ranks: 2,
                    ["train", "--no-auto", corpus, "-o", dir.path + "/" + run, "--gradient-exchange", exchange]
                        + Self.flags("gru", steps: 100))
                try #require(r.status == 0, "\(r.stderr)")
                losses.append(try lastValidationLoss(dir.path + "/" + run))
            }
            #expect(abs(losses[1] - losses[0]) / losses[0] < 1e-2 && losses[1] != losses[0], "\(losses)")
            #expect(
                try Data(contentsOf: dir.appendingPathComponent("b16/latest.safetensors"))
                    == Data(contentsOf: dir.appendingPathComponent("b16again/latest.safetensors")))
            #expect(
                try Checkpoint.read(from: dir.path + "/b16/latest.safetensors").training.gradientExchange == .bfloat16)
        }
    }

    @Test func theSameTwoRankCommandWritesTheSameBytes() throws {
        try withTemporaryDirectory { dir in
            let corpus = try mpiCorpus(in: dir)
            for run in ["a", "b"] {
                let r = try runMPI(
                    ranks: 2,
                    ["train", "--no-auto", corpus, "-o", dir.path + "/" + run] + Self.flags("lstm", steps: 30))
                try #require(r.status == 0, "\(r.stderr)")
            }
            for file in ["latest.safetensors", "best.safetensors"] {
                let (a, b) = (
                    try Data(contentsOf: dir.appendingPathComponent("a/" + file)),
                    try Data(contentsOf: dir.appendingPathComponent("b/" + file))
                )
                #expect(a == b, "\(file) differs")
            }
        }
    }

    /// 2 ranks for 40 steps equal 2 ranks for 20 and 20 more after resuming, byte for byte; a checkpoint of 2
    /// ranks resumes on 1 process and one of 1 process on 2, and both go on to a lower loss, close to the
    /// uninterrupted run's.
    @Test func resumesAcrossRankCounts() throws {
        try withTemporaryDirectory { dir in
            let corpus = try mpiCorpus(in: dir)
            let whole = dir.path + "/whole"
            let r = try runMPI(ranks: 2, ["train", "--no-auto", corpus, "-o", whole] + Self.flags("lstm", steps: 50))
            try #require(r.status == 0, "\(r.stderr)")
            let halves = dir.path + "/halves"
            try #require(
                try runMPI(ranks: 2, ["train", "--no-auto", corpus, "-o", halves] + Self.flags("lstm", steps: 25))
                    .status == 0)
            let copy = dir.path + "/at25.safetensors"
            try FileManager.default.copyItem(atPath: halves + "/latest.safetensors", toPath: copy)
            let resumed = try runMPI(
                ranks: 2,
                ["train", "--no-auto", corpus, "-o", halves, "--resume", copy, "--max-steps", "50", "--quiet"])
            try #require(resumed.status == 0, "\(resumed.stderr)")
            #expect(
                try Data(contentsOf: URL(fileURLWithPath: halves + "/latest.safetensors"))
                    == Data(contentsOf: URL(fileURLWithPath: whole + "/latest.safetensors")))
            // 2 → 1.
            let onOne = dir.path + "/one"
            let single = try runCharRNN([
                "train", "--no-auto", corpus, "-o", onOne, "--resume", copy, "--max-steps", "50", "--quiet",
            ])
            try #require(single.status == 0, "\(single.stderr)")
            // 1 → 2, from the single process's checkpoint at 25.
            let firstHalf = dir.path + "/first"
            try #require(
                try runCharRNN(["train", "--no-auto", corpus, "-o", firstHalf] + Self.flags("lstm", steps: 25)).status
                    == 0)
            let onTwo = dir.path + "/two"
            let back = try runMPI(
                ranks: 2,
                [
                    "train", "--no-auto", corpus, "-o", onTwo, "--resume", firstHalf + "/latest.safetensors",
                    "--max-steps", "50",
                    "--quiet",
                ])
            try #require(back.status == 0, "\(back.stderr)")
            let start = try Checkpoint.read(from: copy).state.lastValidationLoss ?? .infinity
            let reference = try lastValidationLoss(whole)
            for run in [onOne, onTwo] {
                let loss = try lastValidationLoss(run)
                #expect(
                    loss < start && abs(loss - reference) / reference < 1e-3,
                    "\(run): \(start) → \(loss), uninterrupted \(reference)")
                #expect(try Checkpoint.read(from: run + "/latest.safetensors").state.step == 50)
            }
        }
    }

    /// Automatic settings under mpirun: rank 0 times the candidates (a time budget) while the others wait, every
    /// rank trains with the one choice, and the chosen batch is a multiple of the ranks.
    @Test func automaticSettingsAreChosenOnceForEveryRank() throws {
        try withTemporaryDirectory { dir in
            let corpus = try mpiCorpus(in: dir)
            let run = dir.path + "/auto"
            let r = try runMPI(
                ranks: 2, ["train", corpus, "-o", run, "--max-time", "6", "--hidden", "16", "--embedding", "8"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.components(separatedBy: "automatic settings for").count == 2, "\(r.stderr)")
            let c = try Checkpoint.read(from: run + "/latest.safetensors")
            let choice = try #require(c.training.automatic)
            #expect(choice.secondsPerUpdate != nil && choice.budget == .seconds(6) && c.training.batchSize % 2 == 0)
        }
    }
}
