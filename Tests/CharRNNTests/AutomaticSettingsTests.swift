// Automatic settings (AutomaticSettings): the rule on synthetic corpus sizes and budgets, given settings kept,
// batches that fit the text and the ranks, time budgets timed at most twice and counted; then through the binary:
// the line saying what was chosen, the flags that repeat the run bit for bit, `info`, a resume that never chooses
// again, and `--no-auto`'s fixed defaults.
import Foundation
import TestSupport
import Testing

@testable import CharRNN

@Suite struct AutomaticSettingsTests {
    /// A measure that must not be called (step and epoch budgets are pure functions of the corpus and the count).
    static func neverTimed(_: ModelConfig, _: TrainingConfig, _: Double) -> (perUpdate: Double, spent: Double) {
        Issue.record("a step or epoch budget timed a model")
        return (1, 0)
    }

    static func choose(
        _ options: TrainingOptions, tokens: Int, vocabulary: Int = 80, ranks: Int = 1,
        measure: AutomaticSettings.Measure = neverTimed
    ) throws -> (options: TrainingOptions, choice: AutomaticChoice) {
        let (o, choice) = try AutomaticSettings.choose(
            options, trainingTokens: tokens * 9 / 10, validationTokens: tokens / 10, vocabularySize: vocabulary,
            ranks: ranks, measure: measure)
        return (o, try #require(choice, "nothing chosen"))
    }

    static func steps(_ n: Int) -> TrainingOptions {
        var o = TrainingOptions()
        o.maxSteps = n
        return o
    }

    @Test func aSmallTextGetsASmallModelRegularisedForTheManyEpochsItIsRead() throws {
        // 100 KB for 2,000 updates of 23 × 100: 51 epochs.
        let (o, choice) = try Self.choose(Self.steps(2000), tokens: 100_000)
        // 90,000 training tokens: 50·√(90,000 / 400,000) = 23.7 streams.
        #expect(o.hiddenSize == 384 && o.layers == 2 && o.batchSize == 23 && o.sequenceLength == 100)
        #expect(choice.epochs > 18 && o.weightDrop == 0.3 && o.dropout == 0.2 && o.learningRate == 0.002)
        #expect(o.schedule == .cosine && o.decaySteps == 2000 && o.warmupSteps == 100 && o.evaluateEvery == 200)
        #expect(o.patience == 3)
        #expect(choice.budget == .updates(2000) && !choice.defaultBudget && choice.secondsPerUpdate == nil)
        // Every chosen setting is in the list, in the order of `Setting`; nothing given is.
        #expect(choice.chosen.contains(.hiddenSize) && !choice.chosen.contains(.maxSteps))
        #expect(choice.chosen == Setting.allCases.filter(choice.chosen.contains))
        let training = try o.newRun()
        #expect(training.problem == nil && training.maxSteps == 2000)
    }

    @Test func theEpochsAReadChoosesTheRegularisation() throws {
        // 3 M tokens: the largest model; 500 updates read it under once (none), 3,000 five times (light).
        let (few, fewChoice) = try Self.choose(Self.steps(500), tokens: 3_000_000)
        #expect(few.hiddenSize == 640 && fewChoice.epochs < 3 && few.weightDrop == 0 && few.learningRate == 0.003)
        let (more, moreChoice) = try Self.choose(Self.steps(3000), tokens: 3_000_000)
        #expect(moreChoice.epochs > 3 && moreChoice.epochs < 18 && more.weightDrop == 0.2 && more.dropout == 0.15)
        // A validation split of 300,000 tokens is capped to 1.5% of the tokens trained on (at least 20,000).
        #expect(more.evaluationTokens == 225_000 && few.evaluationTokens == 37_500)
    }

    @Test func anEpochLimitIsTurnedIntoUpdates() throws {
        var o = TrainingOptions()
        o.maxEpochs = 4
        let (chosen, choice) = try Self.choose(o, tokens: 1_000_000)  // 900,000 training tokens: 180 batches
        #expect(choice.budget == .updates(720) && chosen.decaySteps == 720 && abs(choice.epochs - 4) < 0.01)
    }

    @Test func givenSettingsAreKeptAndTheRestChosenAroundThem() throws {
        var o = Self.steps(1000)
        (o.hiddenSize, o.learningRate, o.weightDrop, o.schedule) = (96, 0.01, 0.5, .constant)
        let (chosen, choice) = try Self.choose(o, tokens: 200_000)
        #expect(chosen.hiddenSize == 96 && chosen.learningRate == 0.01 && chosen.weightDrop == 0.5)
        #expect(chosen.schedule == .constant && chosen.warmupSteps == nil && chosen.decaySteps == nil)
        #expect(!choice.chosen.contains(.hiddenSize) && !choice.chosen.contains(.schedule))
        #expect(chosen.dropout != nil && chosen.evaluateEvery == 100)
        // Everything given: nothing to choose, nothing timed.
        var all = chosen
        all.evaluationTokens = 1000
        let (same, none) = try AutomaticSettings.choose(
            all, trainingTokens: 1, validationTokens: 1, vocabularySize: 2, measure: Self.neverTimed)
        #expect(none == nil && same == all)
    }

    @Test func earlyStoppingOnlyWithAValidationSplit() throws {
        var o = Self.steps(100)
        o.validationFraction = 0
        let (chosen, choice) = try Self.choose(o, tokens: 100_000)
        #expect(chosen.patience == nil && !choice.chosen.contains(.patience))
        #expect(try chosen.newRun().problem == nil)
    }

    @Test func theBatchFitsTheTextAndTheRanks() throws {
        // Below 400,000 training tokens, 50·√(N / 400,000): 25 at 100,000, 11 at 20,000.
        #expect(AutomaticSettings.batch(trainingTokens: 100_000, sequenceLength: 100, ranks: 1) == 25)
        #expect(AutomaticSettings.batch(trainingTokens: 400_000, sequenceLength: 100, ranks: 1) == 50)
        #expect(AutomaticSettings.batch(trainingTokens: 20_000, sequenceLength: 100, ranks: 1) == 11)
        #expect(AutomaticSettings.batch(trainingTokens: 20_000, sequenceLength: 100, ranks: 5) == 10)
        // 4,000 tokens cannot give 4 streams (50·√0.01 = 5) 8 sequences of 101 each: 4 can.
        #expect(AutomaticSettings.batch(trainingTokens: 4_000, sequenceLength: 100, ranks: 1) == 4)
        #expect(AutomaticSettings.batch(trainingTokens: 10_000_000, sequenceLength: 100, ranks: 3) == 48)
        #expect(AutomaticSettings.batch(trainingTokens: 500, sequenceLength: 100, ranks: 1) == 1)
        #expect(AutomaticSettings.batch(trainingTokens: 500, sequenceLength: 100, ranks: 4) == 4)
        let (o, _) = try Self.choose(Self.steps(100), tokens: 5_000_000, ranks: 4)
        #expect(o.batchSize == 48 && o.batchSize! % 4 == 0)
    }

    @Test func aTimeBudgetTimesTheLargestCandidateThenTheChosenOne() throws {
        // A machine on which an update costs 1 µs per unit of `tokenCost` (2×640 on 80 tokens: about 5 s).
        var calls: [(hidden: Int, seconds: Double)] = []
        let measure: AutomaticSettings.Measure = { model, training, seconds in
            calls.append((model.hiddenSize, seconds))
            #expect(training.sequenceLength == 100)
            // Timed as it will train: with the heavier tier's regularisation (the tier is not known yet).
            let heavier = AutomaticSettings.tiers.last!
            #expect(
                model.dropout == heavier.dropout && training.effectiveRegularization.weightDrop == heavier.weightDrop)
            let cost = AutomaticSettings.tokenCost(
                cell: model.cell, hidden: model.hiddenSize, layers: model.layers, embedding: model.embeddingSize,
                vocabulary: model.vocabularySize)
            return (cost * 1e-6, 2)
        }
        var o = TrainingOptions()
        o.maxSeconds = 2400
        // 3 M tokens in 40 minutes: 2×640 would make 431 updates, 2×256 2,237: the largest that makes 2,000.
        let (chosen, choice) = try Self.choose(o, tokens: 3_000_000, measure: measure)
        #expect(calls.map(\.hidden) == [640, 256] && chosen.hiddenSize == 256, "\(calls)")
        #expect(calls.allSatisfy { $0.seconds == 2400 * AutomaticSettings.measuringShare / 3 })
        #expect(choice.measuringSeconds == 4 && choice.budget == .seconds(2400) && choice.updates >= 2000)
        let perUpdate = try #require(choice.secondsPerUpdate)
        #expect(choice.updates == Int((2400 - 4) * AutomaticSettings.updateShare / perUpdate))
        #expect(chosen.decaySteps == choice.updates && chosen.maxSeconds == 2400)
        // A machine so slow that the timing takes longer than its share: only the share counts against the time.
        var given = TrainingOptions()
        (given.maxSeconds, given.hiddenSize) = (600, 256)
        let (_, slow) = try Self.choose(given, tokens: 100_000) { _, _, _ in (50, 100) }
        let share = 600 * AutomaticSettings.measuringShare
        #expect(
            slow.measuringSeconds == share && slow.updates == Int((600 - share) * AutomaticSettings.updateShare / 50))
        // No limit at all: the default budget, chosen and said so.
        calls = []
        let (open, openChoice) = try Self.choose(TrainingOptions(), tokens: 100_000, measure: measure)
        #expect(openChoice.defaultBudget && open.maxSeconds == AutomaticSettings.defaultSeconds)
        // 100 KB may use 2×384, but in 20 minutes only 2×128 makes 2,000 updates here.
        #expect(openChoice.chosen.contains(.maxSeconds) && calls.map(\.hidden) == [384, 128] && open.hiddenSize == 128)
    }

    @Test func aRunWithoutRegularisationIsTimedAgainWithout() throws {
        // Masks cost a quarter more here. 3 M tokens in 10 minutes: under 3 epochs, so the lightest tier (no
        // masks), whose updates are counted from a timing without them.
        var calls: [Bool] = []
        let measure: AutomaticSettings.Measure = { model, training, _ in
            let masked = model.dropout > 0 || training.effectiveRegularization.weightDrop > 0
            calls.append(masked)
            return (masked ? 0.5 : 0.4, 1)
        }
        var o = TrainingOptions()
        (o.maxSeconds, o.hiddenSize) = (600, 256)
        let (chosen, choice) = try Self.choose(o, tokens: 3_000_000, measure: measure)
        #expect(calls == [true, false] && chosen.dropout == 0 && chosen.weightDrop == 0, "\(calls)")
        #expect(
            choice.secondsPerUpdate == 0.4 && choice.updates == Int((600 - 2) * AutomaticSettings.updateShare / 0.4))
        #expect(choice.epochs < 3)
        // Regularisation the user gives is timed as given, and not timed again.
        calls = []
        o.weightDrop = 0.5
        let (_, given) = try Self.choose(o, tokens: 3_000_000, measure: measure)
        #expect(calls == [true] && given.secondsPerUpdate == 0.5)
    }

    @Test func theChoiceIsStoredInTheCheckpoint() throws {
        try withTemporaryDirectory { dir in
            let text = dir.appendingPathComponent("text.txt")
            try ResumeTests.text.write(to: text)
            var options = Self.steps(6)
            options.automatic = true
            options.hiddenSize = 16
            options.embeddingSize = 8
            let setup = try TrainingSetup(
                options: options, resume: nil, text: { try TextSource(paths: [text.path]) },
                tokenizer: TokenizerConfig())
            let choice = try #require(setup.training.automatic)
            #expect(setup.model.hiddenSize == 16 && choice.budget == .updates(6))
            let run = dir.appendingPathComponent("run").path
            _ = try setup.makeTrainer(runDirectory: run, threads: 1).run { _ in }
            let saved = try Checkpoint.read(from: run + "/latest.safetensors")
            #expect(saved.training.automatic == choice)
        }
    }

    // MARK: Through the binary

    /// The words after `charrnn train` on the line that says how to repeat the run.
    static func repeatArguments(_ stderr: String) throws -> [String] {
        let line = try #require(
            stderr.split(separator: "\n").first { $0.contains("to repeat this run: charrnn train ") },
            "no repeat line: \(stderr)")
        let words = line.split(separator: " ").map(String.init)
        return Array(words.drop { $0 != "train" }.dropFirst())
    }

    @Test func theBinarySaysWhatItChoseAndTheFlagsRepeatTheRunBitForBit() throws {
        try withTemporaryDirectory { dir in
            let run = dir.path + "/auto"
            let r = try runCharRNN(
                ["train", "-o", run, "--max-steps", "12", "--embedding", "8"], stdin: ResumeTests.text)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(
                r.stderr.contains("automatic settings for 1,836 training tokens") && r.stderr.contains("--hidden 128"),
                "\(r.stderr)")
            #expect(r.stderr.contains("(--no-auto: the defaults)"), "\(r.stderr)")
            let again = try Self.repeatArguments(r.stderr).map { $0 == run ? dir.path + "/again" : $0 }
            #expect(again.contains("--weight-drop") && again.contains("--lr-decay-steps"), "\(again)")
            let r2 = try runCharRNN(["train"] + again, stdin: ResumeTests.text)
            #expect(r2.status == 0 && !r2.stderr.contains("automatic settings"), "\(r2.stderr)")
            let (a, b) = (
                try Checkpoint.read(from: run + "/latest.safetensors"),
                try Checkpoint.read(from: dir.path + "/again/latest.safetensors")
            )
            #expect(a.model == b.model && a.state == b.state && a.tensors == b.tensors)
            #expect(a.training.automatic != nil && b.training.automatic == nil)
            var withoutChoice = a.training
            withoutChoice.automatic = nil
            #expect(withoutChoice == b.training)

            let info = try runCharRNN(["info", run + "/latest.safetensors"])
            #expect(info.stdout.contains("automatic settings: for 1,836 training tokens"), "\(info.stdout)")
            #expect(info.stdout.contains("12 updates") && info.stdout.contains("--hidden 128"), "\(info.stdout)")

            // A resume continues with the stored settings and chooses nothing.
            let resumed = try runCharRNN(
                ["train", "-o", run, "--resume", run + "/latest.safetensors", "--max-steps", "14"],
                stdin: ResumeTests.text)
            #expect(resumed.status == 0 && !resumed.stderr.contains("automatic settings"), "\(resumed.stderr)")
            let continued = try Checkpoint.read(from: run + "/latest.safetensors")
            #expect(continued.training.automatic == a.training.automatic && continued.model == a.model)
        }
    }

    @Test func noAutoTrainsWithTheFixedDefaults() throws {
        try withTemporaryDirectory { dir in
            let run = dir.path + "/fixed"
            let r = try runCharRNN(
                ["train", "--no-auto", "-o", run, "--max-steps", "2", "--batch-size", "2"], stdin: ResumeTests.text)
            #expect(r.status == 0 && !r.stderr.contains("automatic settings"), "\(r.stderr)")
            let c = try Checkpoint.read(from: run + "/latest.safetensors")
            let defaults = ModelConfig(vocabularySize: c.model.vocabularySize)
            #expect(c.model == defaults && c.training.automatic == nil && c.training.schedule == .constant)
            #expect(c.training.regularization == Regularization() && c.training.sequenceLength == 50)
        }
    }
}
