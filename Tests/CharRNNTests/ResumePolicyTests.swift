// The resume policy (TrainingOptions): what a resumed run keeps from its checkpoint, what it may change and how a
// conflict reads; through the binary, a change of learning rate across a resume (of thread count: ResumeTests).
import Foundation
import Testing
import TestSupport

@testable import CharRNN

@Suite struct ResumePolicyTests {
    /// A checkpoint of a small run with a cosine schedule.
    static func checkpoint() throws -> Checkpoint {
        let corpus = try smallCorpus()
        var options = TrainingOptions()
        (options.hiddenSize, options.embeddingSize, options.batchSize, options.sequenceLength) = (12, 6, 4, 8)
        (options.schedule, options.warmupSteps, options.maxSteps, options.seed) = (.cosine, 3, 20, 5)
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let trainer = try Trainer(
            corpus: corpus, model: options.model(vocabularySize: corpus.vocabulary.count),
            training: try options.newRun(),
            runDirectory: dir.path)
        return trainer.makeCheckpoint()
    }

    /// Options with `setting` given a value other than `checkpoint()`'s (with the schedule its parameter needs).
    static func changing(_ setting: Setting) -> TrainingOptions {
        var o = TrainingOptions()
        switch setting {
        case .cell: o.cell = .gru
        case .layers: o.layers = 3
        case .hiddenSize: o.hiddenSize = 13
        case .embeddingSize: o.embeddingSize = 7
        case .dropout: o.dropout = 0.5
        case .batchSize: o.batchSize = 2
        case .sequenceLength: o.sequenceLength = 4
        case .validationFraction: o.validationFraction = 0.2
        case .optimizer: o.optimizer = .rmsprop
        case .seed: o.seed = 6
        case .learningRate: o.learningRate = 1e-4
        case .weightDecay: o.weightDecay = 0.1
        case .schedule: o.schedule = .constant
        case .stepEvery: (o.schedule, o.stepEvery) = (.step, 7)
        case .stepFactor: (o.schedule, o.stepFactor) = (.step, 0.9)
        case .warmupSteps: o.warmupSteps = 4
        case .minimumFactor: o.minimumFactor = 0.2
        case .decaySteps: o.decaySteps = 50
        case .gradientClip: o.gradientClip = 1
        case .clipMode: o.clipMode = .value
        case .evaluateEvery: o.evaluateEvery = 3
        case .evaluationTokens: o.evaluationTokens = 100
        case .patience: o.patience = 3
        case .gradientExchange: o.gradientExchange = .bfloat16
        case .dropoutMasks: o.dropoutMasks = .elementwise
        case .inputDropout: o.inputDropout = 0.1
        case .outputDropout: o.outputDropout = 0.1
        case .weightDrop: o.weightDrop = 0.1
        case .embeddingDropout: o.embeddingDropout = 0.1
        default: Issue.record("\(setting) is not a setting of TrainingOptions")
        }
        return o
    }

    /// The two lists `charrnn train --help` shows are what resuming does: each setting kept is a conflict when
    /// changed, each one that may change is taken and reported; together with the stopping limits they are every
    /// setting of a training run.
    @Test func theResumeListsAreWhatResumingEnforces() throws {
        let checkpoint = try Self.checkpoint()
        for setting in TrainingOptions.keptOnResume {
            #expect(throws: TrainingOptionsError.self, "\(setting)") { try Self.changing(setting).resuming(checkpoint) }
        }
        for setting in TrainingOptions.changeableOnResume {
            let changes = try Self.changing(setting).resuming(checkpoint).changes.map(\.setting)
            let reported =
                [Setting.stepEvery, .stepFactor, .warmupSteps, .minimumFactor, .decaySteps].contains(setting)
                ? Setting.schedule : setting
            #expect(changes == [reported], "\(setting): \(changes)")
        }
        let listed = Set(TrainingOptions.keptOnResume + TrainingOptions.changeableOnResume)
        #expect(listed.count == TrainingOptions.keptOnResume.count + TrainingOptions.changeableOnResume.count)
        let notOfARun: Set<Setting> = [
            .vocabularySize, .maxSteps, .maxEpochs, .maxSeconds, .temperature, .topK, .topP, .unit, .normalization,
            .strictUTF8,
            .segmentLength, .dynamicLearningRate, .dynamicDecay, .choices, .maxTokens, .topLogprobs,
        ]
        #expect(listed.union(notOfARun) == Set(Setting.allCases) && listed.isDisjoint(with: notOfARun))
    }

    @Test func newRunsTakeTheGivenSettingsOverTheDefaults() throws {
        var options = TrainingOptions()
        var c = try options.newRun()
        #expect(c.batchSize == 50 && c.schedule == .constant && c.maxEpochs == 10 && c.maxSteps == nil)
        (options.schedule, options.maxSteps, options.learningRate) = (.cosine, 400, 1e-3)
        c = try options.newRun()
        #expect(c.schedule == .cosine(warmup: 100, total: 400, minimumFactor: 0.1) && c.maxEpochs == nil)
        #expect(c.optimizer.learningRate == 1e-3)
        options.decaySteps = 900
        #expect(try options.newRun().schedule == .cosine(warmup: 100, total: 900, minimumFactor: 0.1))
        options.schedule = .step
        #expect(
            throws: TrainingOptionsError.parameterForOtherSchedule(
                [.warmupSteps, .minimumFactor, .decaySteps], .cosine)
        ) {
            try options.newRun()
        }
    }

    /// A new run gets `Regularization()` with the given settings; a checkpoint from before regularisation existed
    /// (nil) resumes as it was trained, with per-position masks, unless a setting is given.
    @Test func regularisationOfNewAndResumedRuns() throws {
        var options = TrainingOptions()
        options.weightDrop = 0.25
        #expect(try options.newRun().regularization == Regularization(weightDrop: 0.25))
        var old = try Self.checkpoint()
        old.training.regularization = nil
        options = TrainingOptions()
        let kept = try options.resuming(old)
        #expect(kept.training.regularization == nil && kept.changes.isEmpty)
        #expect(kept.training.effectiveRegularization.dropoutMasks == .elementwise)
        options.weightDrop = 0.25
        let changed = try options.resuming(old)
        #expect(changed.training.regularization == Regularization(dropoutMasks: .elementwise, weightDrop: 0.25))
        #expect(changed.changes == [SettingChange(.weightDrop, value: "0.25", checkpoint: "0.0")])
        options.dropoutMasks = .locked
        #expect(try options.resuming(old).training.regularization == Regularization(weightDrop: 0.25))
    }

    @Test func resumingKeepsTheCheckpointAndReportsWhatChanges() throws {
        let checkpoint = try Self.checkpoint()
        var options = TrainingOptions()
        options.maxSteps = 40
        let same = try options.resuming(checkpoint)
        #expect(same.changes.isEmpty && same.model == checkpoint.model)
        var expected = checkpoint.training
        (expected.maxSteps, expected.maxEpochs) = (40, nil)
        #expect(same.training == expected)  // the schedule still ends at the checkpoint's 20
        // Settings that say how training goes on may change, and each change is named.
        (options.learningRate, options.gradientClip, options.decaySteps, options.evaluateEvery) = (5e-4, 1, 40, 7)
        let changed = try options.resuming(checkpoint)
        #expect(changed.training.optimizer.learningRate == 5e-4 && changed.training.gradientClip == 1)
        #expect(changed.training.schedule == .cosine(warmup: 3, total: 40, minimumFactor: 0.1))
        #expect(changed.changes.count == 4, "\(changed.changes)")
        #expect(changed.changes.contains(SettingChange(.learningRate, value: "0.0005", checkpoint: "0.002")))
        // Giving the checkpoint's own values is no conflict; other values for what it fixes are, all named.
        (options.hiddenSize, options.batchSize) = (12, 4)
        #expect(throws: Never.self) { try options.resuming(checkpoint) }
        (options.hiddenSize, options.batchSize, options.seed, options.optimizer) = (32, 5, 6, .sgd)
        #expect(
            throws: TrainingOptionsError.conflicts([
                SettingChange(.hiddenSize, value: "32", checkpoint: "12"),
                SettingChange(.batchSize, value: "5", checkpoint: "4"),
                SettingChange(.optimizer, value: "sgd", checkpoint: "adam"),
                SettingChange(.seed, value: "6", checkpoint: "5"),
            ])
        ) { try options.resuming(checkpoint) }
    }

    /// Through the binary: a lower learning rate on resume is taken and said; a conflicting flag is one line.
    @Test func theCommandLineResumesWithChangesAndRefusesConflicts() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.path + "/run"
        let flags = [
            "--hidden", "12", "--embedding", "6", "--batch-size", "3", "--seq-length", "7", "--eval-every", "4",
        ]
        let first = try runCharRNN(
            ["train", "--no-auto", "-o", run, "--max-steps", "4", "--quiet"] + flags, stdin: ResumeTests.text)
        try #require(first.status == 0, "\(first.stderr)")
        let resumed = try runCharRNN(
            [
                "train", "--no-auto", "-o", run, "--resume", run + "/latest.safetensors", "--max-steps", "8",
                "--learning-rate",
                "1e-3",
                "--eval-every", "4",
            ], stdin: ResumeTests.text)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(
            resumed.stderr.contains("charrnn: resuming with --learning-rate 0.001 (checkpoint: 0.002)"),
            "\(resumed.stderr)")
        let after = try Checkpoint.read(from: run + "/latest.safetensors")
        #expect(after.state.step == 8 && after.training.optimizer.learningRate == 1e-3)
        let conflict = try runCharRNN(
            [
                "train", "--no-auto", "-o", run, "--resume", run + "/latest.safetensors", "--seq-length", "9",
                "--max-steps", "9",
            ],
            stdin: ResumeTests.text)
        #expect(conflict.status == 1, "\(conflict.stderr)")
        #expect(conflict.stderr.hasPrefix("charrnn: error: \(run)/latest.safetensors: resuming keeps the checkpoint's"))
        #expect(conflict.stderr.contains("--seq-length 9 (checkpoint: 7) was given"), "\(conflict.stderr)")
        #expect(conflict.stderr.split(separator: "\n").count == 1)
        #expect(try Checkpoint.read(from: run + "/latest.safetensors").state.step == 8)
    }
}
