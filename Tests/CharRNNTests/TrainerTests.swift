// Training end to end in the library: checkpoints round-trip, the same seed gives the same bytes, resuming
// continues exactly, and the loss goes down. Reading a bad checkpoint is CheckpointValidationTests'.
import Foundation
import Testing
import TestSupport

@testable import CharRNN

@Suite struct TrainerTests {
    @Test(arguments: CellKind.allCases)
    func lossDecreasesAndCheckpointsRoundTrip(cell: CellKind) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = try smallCorpus()
        let trainer = try Trainer(
            corpus: corpus, model: smallModel(corpus.vocabulary.count, cell), training: smallTraining(steps: 40),
            runDirectory: dir.path)
        let first = trainer.validationLoss()!
        let state = try trainer.run { _ in }
        #expect(state.step == 40)
        #expect(state.bestValidationLoss! < first - 0.5, "validation loss \(first) → \(state.bestValidationLoss!)")
        let read = try Checkpoint.read(from: dir.path + "/latest.safetensors")
        let made = trainer.makeCheckpoint()
        #expect(read.model == made.model && read.vocabulary == made.vocabulary && read.training == made.training)
        var saved = made.state
        saved.elapsedSeconds = 0  // not stored, so equal commands write equal bytes
        #expect(read.state == saved && read.optimizerStep == 40)
        #expect(read.tensors == made.tensors && read.order == made.order)
        let metrics = try String(contentsOfFile: dir.path + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(metrics.count == 8)  // every 5 steps
        #expect(FileManager.default.fileExists(atPath: dir.path + "/best.safetensors"))
    }

    @Test func sameSeedGivesTheSameBytesAndResumeContinuesExactly() throws {
        let corpus = try smallCorpus()
        let model = smallModel(corpus.vocabulary.count, .lstm)
        func train(_ steps: Int, in dir: URL, resume: Checkpoint? = nil) throws -> [UInt8] {
            let trainer = try Trainer(
                corpus: corpus, model: model, training: smallTraining(steps: steps), runDirectory: dir.path,
                resume: resume)
            _ = try trainer.run { _ in }
            return Array(try Data(contentsOf: dir.appendingPathComponent("latest.safetensors")))
        }
        let (a, b, c) = (try temporaryDirectory(), try temporaryDirectory(), try temporaryDirectory())
        defer { for d in [a, b, c] { try? FileManager.default.removeItem(at: d) } }
        let once = try train(30, in: a)
        #expect(try train(30, in: b) == once)
        _ = try train(15, in: c)
        let halfway = try Checkpoint.read(from: c.path + "/latest.safetensors")
        var resumed = halfway
        resumed.training.maxSteps = 30
        #expect(try train(30, in: c, resume: resumed) == once)
    }

    @Test func tooShortCorpusAndBadSettingsAreErrors() throws {
        let corpus = try loadCorpus(bytes: Array("tiny text\n".utf8))
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: CorpusError.self) {
            try Trainer(
                corpus: corpus, model: smallModel(corpus.vocabulary.count, .lstm), training: TrainingConfig(),
                runDirectory: dir.path)
        }
        var bad = smallTraining(steps: 1)
        bad.optimizer.learningRate = -1
        #expect(throws: SettingError(.learningRate, .real(-1), .positive)) {
            try Trainer(corpus: try smallCorpus(), model: smallModel(50, .lstm), training: bad, runDirectory: dir.path)
        }
    }
}
