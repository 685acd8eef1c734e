// Early stopping (`TrainingConfig.patience`): a run ends after that many validations in a row without a new best
// validation loss, exactly where the rule says, and a run resumed on the way stops at the same update with the
// same bytes. Through the binary: the flag, the line saying why, and the one-line error without a validation split.
import Foundation
import TestSupport
import Testing

@testable import CharRNN

@Suite struct EarlyStoppingTests {
    /// A small run that validates at every update with a rate high enough to stop improving soon.
    static func training(patience: Int, steps: Int = 400) -> TrainingConfig {
        var c = smallTraining(steps: steps)
        (c.evaluateEvery, c.patience, c.optimizer.learningRate) = (1, patience, 0.05)
        return c
    }

    /// The validation losses of a run, in order, from its metrics.jsonl.
    static func validationLosses(_ run: URL) throws -> [Double] {
        let text = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return try #require(object?["val_loss"] as? Double)
        }
    }

    @Test func stopsAfterPatienceValidationsWithoutANewBest() throws {
        try withTemporaryDirectory { dir in
            let corpus = try smallCorpus()
            let model = smallModel(corpus.vocabulary.count, .lstm)
            let patience = 3
            let trainer = try Trainer(
                corpus: corpus, model: model, training: Self.training(patience: patience), runDirectory: dir.path)
            let final = try trainer.run { _ in }
            #expect(trainer.stoppedEarly && final.step < 400, "step \(final.step)")
            // The rule, replayed on the losses: the run ends at the first validation that is the patience-th in a
            // row without a new best, and not before.
            let losses = try Self.validationLosses(dir)
            var (best, since, stop) = (Double.infinity, 0, -1)
            for (i, loss) in losses.enumerated() {
                if loss < best { (best, since) = (loss, 0) } else { since += 1 }
                if since == patience {
                    stop = i
                    break
                }
            }
            #expect(stop == losses.count - 1, "stopped after validation \(losses.count - 1), the rule says \(stop)")
            #expect(final.validationsSinceBest == patience && final.bestValidationLoss == best)
            // best.safetensors holds the best validation's weights: it was written then and not since.
            let kept = try Checkpoint.read(from: dir.path + "/best.safetensors")
            #expect(kept.state.bestValidationLoss == best && kept.state.step < final.step)
        }
    }

    @Test func aResumedRunStopsAtTheSameUpdateWithTheSameBytes() throws {
        try withTemporaryDirectory { dir in
            let corpus = try smallCorpus()
            let model = smallModel(corpus.vocabulary.count, .gru)
            let whole = dir.appendingPathComponent("whole")
            let once = try Trainer(
                corpus: corpus, model: model, training: Self.training(patience: 3), runDirectory: whole.path)
            let end = try once.run { _ in }.step
            try #require(once.stoppedEarly && end > 4, "step \(end)")
            // The same run in two processes: the first stops short of the end, with a count of validations since
            // the best that the second must carry on.
            let parts = dir.appendingPathComponent("parts")
            var first = Self.training(patience: 3)
            first.maxSteps = end - 2
            _ = try Trainer(corpus: corpus, model: model, training: first, runDirectory: parts.path).run { _ in }
            let halfway = try Checkpoint.read(from: parts.path + "/latest.safetensors")
            let rest = try Trainer(
                corpus: corpus, model: model, training: Self.training(patience: 3), runDirectory: parts.path,
                resume: halfway)
            let final = try rest.run { _ in }
            #expect(rest.stoppedEarly && final.step == end)
            let a = try Data(contentsOf: whole.appendingPathComponent("latest.safetensors"))
            let b = try Data(contentsOf: parts.appendingPathComponent("latest.safetensors"))
            #expect(a == b, "latest.safetensors")
            // best.safetensors may come from the first process, whose training config has its own step limit
            // (limits are each command's own); its weights and state are the whole run's.
            let (x, y) = try (
                Checkpoint.read(from: whole.path + "/best.safetensors"),
                Checkpoint.read(from: parts.path + "/best.safetensors")
            )
            #expect(x.tensors == y.tensors && x.state == y.state)
        }
    }

    @Test func withoutPatienceCheckpointsKeepTheirBytes() throws {
        // Runs that do not ask for early stopping write no trace of it, so their checkpoints are those of earlier
        // versions (the same command, the same bytes).
        try withTemporaryDirectory { dir in
            let corpus = try smallCorpus()
            let trainer = try Trainer(
                corpus: corpus, model: smallModel(corpus.vocabulary.count, .lstm), training: smallTraining(steps: 5),
                runDirectory: dir.path)
            _ = try trainer.run { _ in }
            let bytes = try Data(contentsOf: dir.appendingPathComponent("latest.safetensors"))
            let header = String(decoding: bytes.prefix(8192), as: UTF8.self)
            #expect(header.contains("training_state") && !header.contains("patience"))
            #expect(!header.contains("validationsSinceBest"))
        }
    }

    @Test func theCommandLineSaysWhyItStoppedAndRefusesPatienceWithoutValidation() throws {
        try withTemporaryDirectory { dir in
            var text = ""
            for i in 0..<60 { text += "the cat sat on the mat \(i % 7).\n" }
            let flags = [
                "--hidden", "12", "--embedding", "6", "--batch-size", "4", "--seq-length", "8", "--eval-every", "1",
                "--learning-rate", "0.05", "--max-steps", "400", "--patience", "2",
            ]
            let r = try runCharRNN(["train", "--no-auto", "-o", dir.path + "/run"] + flags, stdin: Data(text.utf8))
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.contains("charrnn: stopped early at step "), "\(r.stderr)")
            #expect(r.stderr.contains("2 validations in a row brought no better loss than the best (--patience 2)"))
            let info = try runCharRNN(["info", dir.path + "/run/latest.safetensors"])
            #expect(info.stdout.contains("early stopping: --patience 2, 2 validations since the best (stopped)"))
            let bad = try runCharRNN(
                ["train", "--no-auto", "-o", dir.path + "/none"] + flags + ["--val-frac", "0"], stdin: Data(text.utf8))
            #expect(
                bad.status == 1
                    && bad.stderr
                        == "charrnn: error: --patience stops when the validation loss stops improving, and --val-frac "
                        + "0 leaves no validation split; give a fraction above 0 or drop --patience\n",
                "\(bad.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.path + "/none/latest.safetensors"))
            let zero = try runCharRNN(
                ["train", "--no-auto", "-o", dir.path + "/zero", "--patience", "0"], stdin: Data(text.utf8))
            #expect(zero.status != 0 && zero.stderr.contains("--patience must be at least 1, got 0"), "\(zero.stderr)")
        }
    }
}
