// `charrnn eval` equals the training loss on the same tokens, in the library and through the built binary.
import Foundation
import TestSupport
import Testing

@testable import CharRNN

@Suite struct EvalTests {
    @Test func evalEqualsTheTrainingLossOnTheSameTokens() throws {
        let corpus = try smallCorpus()
        var training = smallTraining(steps: 5)
        training.batchSize = 1  // one validation stream from a zero state: exactly what eval computes
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let trainer = try Trainer(
            corpus: corpus, model: smallModel(corpus.vocabulary.count, .lstm), training: training,
            runDirectory: dir.path)
        _ = try trainer.run { _ in }
        let split = try CorpusSplit(tokenCount: corpus.ids.count, validationFraction: 0.1)
        // Training's validation drops the tail that does not fill a T-step window; score the same tokens.
        let t = training.sequenceLength
        let used = (split.validation.count - 1) / t * t + 1
        let (total, n) = trainer.model.evaluate(
            corpus.ids, range: split.validation.lowerBound..<(split.validation.lowerBound + used))
        #expect(abs(total / Double(n) - trainer.validationLoss()!) < 1e-5)

        // And through the binary, on text the checkpoint never saw as a file.
        try trainer.makeCheckpoint().write(to: dir.path + "/c.safetensors")
        let text = corpus.vocabulary.decode(corpus.ids[split.validation])
        let r = try runCharRNN(["eval", "-m", dir.path + "/c.safetensors", "--json"], stdin: Data(text.utf8))
        #expect(r.status == 0, "\(r.stderr)")
        let json = try jsonObject(r.stdout)
        let (wholeTotal, wholeN) = trainer.model.evaluate(corpus.ids, range: split.validation)
        #expect(abs(try expectType(json["nats_per_token"], Double.self) - wholeTotal / Double(wholeN)) < 1e-5)
        #expect(json["predictions"] as? Int == wholeN)
    }
}
