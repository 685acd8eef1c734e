// Dynamic evaluation: each segment is scored before the model learns from it, the update is the documented one,
// the model's own weights never change, and on text that repeats what the model has not learned, adapting helps.
import Foundation
import Testing
import TestSupport

@testable import CharRNN

@Suite struct DynamicEvaluationTests {
    /// A model with random weights (dropout in its config, which dynamic evaluation must not apply) and a text.
    func fixture(cell: CellKind = .lstm) -> (model: CharRNNModel<Float>, ids: TokenIDs) {
        let config = ModelConfig(
            vocabularySize: 11, cell: cell, layers: 2, hiddenSize: 24, embeddingSize: 6, dropout: 0.3)
        let model = CharRNNModel<Float>(config: config)
        var rng = SplitMix64(seed: 12)
        model.initialize(using: &rng)
        model.regularization = Regularization(weightDrop: 0.5)
        // A pattern of period 7 the model has never seen, repeated.
        return (model, TokenIDs((0..<400).map { [3, 1, 4, 1, 5, 9, 2][$0 % 7] }))
    }

    @Test func withoutStepsItIsTheStaticLoss() {
        let (model, ids) = fixture()
        let dynamic = model.evaluateDynamically(ids, settings: DynamicEvaluation(segmentLength: 37, learningRate: 0))
        let fixed = model.evaluate(ids, chunk: 37)
        #expect(dynamic.predictions == fixed.predictions)
        #expect(abs(dynamic.totalNats - fixed.totalNats) <= 1e-9 * fixed.totalNats)
    }

    /// Three segments by hand: score the first with θ₀ and step θ₁ = θ₀ − η g₁ (the pull back is 0 at θ₀); score
    /// the second with θ₁ from the state the first left and step θ₂ = θ₁ − η g₂ + λ (θ₀ − θ₁); score the third.
    @Test(arguments: CellKind.allCases)
    func theUpdateIsTheDocumentedOne(cell: CellKind) {
        let (model, all) = fixture(cell: cell)
        let ids = TokenIDs(all.prefix(31))
        let settings = DynamicEvaluation(segmentLength: 10, learningRate: 0.3, decay: 0.2)
        let dynamic = model.evaluateDynamically(ids, settings: settings)

        var plain = model.config
        plain.dropout = 0
        let reference = CharRNNModel<Float>(config: plain)
        reference.parameters.values.pointer.update(from: model.parameters.values.pointer, count: model.parameters.count)
        let state = RecurrentState<Float>(config: plain, batch: 1)
        var unused = SplitMix64(seed: 0)
        let (values, gradients) = (reference.parameters.values.pointer, reference.parameters.gradients.pointer)
        let original = reference.parameters.values.array
        func segment(_ k: Int, train: Bool) -> Double {
            if train { reference.parameters.zeroGradients() }
            return reference.run(
                inputs: (10 * k..<10 * k + 10).map { Int32(ids[$0]) },
                targets: (10 * k + 1..<10 * k + 11).map { Int32(ids[$0]) }, steps: 10, batch: 1, state: state,
                train: train, rng: &unused)
        }
        let l1 = segment(0, train: true)
        for i in 0..<reference.parameters.count { values[i] -= 0.3 * gradients[i] }
        let l2 = segment(1, train: true)
        for i in 0..<reference.parameters.count {
            values[i] = values[i] - 0.3 * gradients[i] + 0.2 * (original[i] - values[i])
        }
        let l3 = segment(2, train: false)
        let expected = 10 * (l1 + l2 + l3)
        #expect(abs(dynamic.totalNats - expected) <= 1e-6 * expected, "\(cell): \(dynamic.totalNats) vs \(expected)")
        #expect(dynamic.predictions == 30)
    }

    @Test func adaptingToRepeatedTextLowersTheLossAndLeavesTheModelAlone() {
        let (model, ids) = fixture()
        let before = model.parameters.values.array
        let fixed = model.evaluate(ids).totalNats
        let dynamic = model.evaluateDynamically(ids, settings: DynamicEvaluation(segmentLength: 20, learningRate: 0.5))
        #expect(dynamic.totalNats < 0.9 * fixed, "dynamic \(dynamic.totalNats) against static \(fixed)")
        #expect(model.parameters.values.array == before)
    }

    @Test func theCommandReportsBothFiguresAndRefusesBadSettings() throws {
        try withTemporaryDirectory { dir in
            let model = try tinyCheckpoint(in: dir)
            let text = Data(String(repeating: "床前明月光，疑是地上霜。\n", count: 20).utf8)
            let r = try runCharRNN(["eval", "-m", model, "--dynamic", "--json"], stdin: text)
            #expect(r.status == 0, "\(r.stderr)")
            let fields = try jsonObject(r.stdout)
            let dynamic = try #require(fields["dynamic"] as? [String: Any])
            let (d, s) = (
                try #require(dynamic["nats_per_token"] as? Double), try #require(fields["nats_per_token"] as? Double)
            )
            #expect(d < s, "adapting to a repeated line helps: \(d) against \(s)")
            let plain = try runCharRNN(["eval", "-m", model, "--dynamic", "--dynamic-segment", "25"], stdin: text)
            #expect(plain.stdout.contains("dynamic (segments of 25, lr 0.25, decay 0.01): "), "\(plain.stdout)")
            for (flags, message) in [
                (["--dynamic-lr", "1"], "apply only with --dynamic"),
                (["--dynamic", "--dynamic-segment", "0"], "--dynamic-segment must be at least 1, got 0"),
                (["--dynamic", "--dynamic-decay", "2"], "--dynamic-decay must be in [0, 1], got 2.0"),
                (["--dynamic", "--per-token"], "drop --per-token and --precision"),
            ] {
                let bad = try runCharRNN(["eval", "-m", model] + flags, stdin: text)
                #expect(bad.status != 0 && bad.stderr.hasPrefix("charrnn: error: "), "\(flags): \(bad.stderr)")
                #expect(bad.stderr.contains(message) && bad.stderr.split(separator: "\n").count == 1, "\(bad.stderr)")
            }
        }
    }
}
