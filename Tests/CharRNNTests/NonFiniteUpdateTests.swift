// A non-finite update in the library's trainer, planted through its gradient hook (faults through the binary are
// FaultTests').
import Foundation
import TestSupport
import Testing

@testable import CharRNN

/// The trainer's guard against a non-finite update, in the library: the update is skipped with the weights and
/// the optimizer untouched and the carried state reset, and training then goes on from the same batch.
@Suite struct NonFiniteUpdateTests {
    @Test func aSkippedUpdateTouchesNothingAndResetsTheState() throws {
        let corpus = try smallCorpus()
        var training = smallTraining(steps: 6)
        training.evaluateEvery = 100
        let model = ModelConfig(
            vocabularySize: corpus.vocabulary.count, cell: .lstm, layers: 2, hiddenSize: 12, embeddingSize: 6)
        let (a, b) = (try temporaryDirectory(), try temporaryDirectory())
        defer { for d in [a, b] { try? FileManager.default.removeItem(at: d) } }
        // Run A: a NaN planted in the gradient of the update at step 3, the first time only.
        let poisoned = try Trainer(corpus: corpus, model: model, training: training, runDirectory: a.path)
        var calls: [Int] = []
        var snapshot: (values: [Float], first: [Float], second: [Float], step: Int)?
        poisoned.afterBackward = { step, gradients in
            calls.append(step)
            if step == 3 && snapshot == nil {
                snapshot = (
                    poisoned.model.parameters.allValues, poisoned.optimizer.first.array,
                    poisoned.optimizer.second.array, poisoned.optimizer.step
                )
                gradients[0] = .nan
            }
            if step == 3 && calls.count == 5 {
                // The retry of step 3: weights and optimizer exactly as before the skipped update.
                #expect(poisoned.model.parameters.allValues == snapshot?.values)
                #expect(
                    poisoned.optimizer.first.array == snapshot?.first
                        && poisoned.optimizer.second.array == snapshot?.second)
                #expect(poisoned.optimizer.step == snapshot?.step)
            }
        }
        _ = try poisoned.run { _ in }
        #expect(calls == [0, 1, 2, 3, 3, 4, 5], "\(calls)")
        // Run B: 3 clean updates, the carried state reset by hand, then the rest: the same bytes as run A.
        var first = training
        first.maxSteps = 3
        let clean = try Trainer(corpus: corpus, model: model, training: first, runDirectory: b.path)
        _ = try clean.run { _ in }
        var halfway = clean.makeCheckpoint()
        for name in halfway.order where name.hasPrefix("state.") {
            halfway.tensors[name] = [Float](repeating: 0, count: halfway.tensors[name]?.count ?? 0)
        }
        let rest = try Trainer(corpus: corpus, model: model, training: training, runDirectory: b.path, resume: halfway)
        _ = try rest.run { _ in }
        let (x, y) = (poisoned.makeCheckpoint(), rest.makeCheckpoint())
        #expect(x.tensors == y.tensors && x.state.step == 6 && y.state.step == 6)
    }
}
