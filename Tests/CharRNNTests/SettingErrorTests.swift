// Settings as values (SettingError): each limit holds exactly at its bounds, NaN breaks every limit, and the
// configurations report their first setting outside its limits as a value a front end can word.
import Testing

@testable import CharRNN

@Suite struct SettingErrorTests {
    @Test func limitsHoldAtTheirBounds() {
        #expect(SettingError.check(.layers, 1, .atLeast(1)) == nil)
        #expect(SettingError.check(.layers, 0, .atLeast(1)) == SettingError(.layers, .integer(0), .atLeast(1)))
        #expect(SettingError.check(.layers, 1024, .atMost(1024)) == nil)
        #expect(SettingError.check(.layers, 1025, .atMost(1024)) != nil)
        #expect(
            SettingError.check(.choices, 1, .between(1, 4)) == nil
                && SettingError.check(.choices, 4, .between(1, 4)) == nil)
        #expect(
            SettingError.check(.choices, 0, .between(1, 4)) != nil
                && SettingError.check(.choices, 5, .between(1, 4)) != nil)
        #expect(SettingError.check(.batchSize, 6, .multipleOfRanks(3)) == nil)
        #expect(SettingError.check(.batchSize, 5, .multipleOfRanks(3)) != nil)
        #expect(SettingError.check(.learningRate, 1e-9, .positive) == nil)
        for bad in [0, -1, Double.infinity, .nan] { #expect(SettingError.check(.learningRate, bad, .positive) != nil) }
        #expect(SettingError.check(.weightDecay, 0.0, .zeroOrPositive) == nil)
        #expect(SettingError.check(.weightDecay, -1e-9, .zeroOrPositive) != nil)
        #expect(SettingError.check(.weightDecay, .nan, .zeroOrPositive) != nil)
        let open = SettingLimit.fraction(includingZero: true, includingOne: false)
        #expect(SettingError.check(.dropout, 0.0, open) == nil && SettingError.check(.dropout, 1.0, open) != nil)
        let closed = SettingLimit.fraction(includingZero: false, includingOne: true)
        #expect(SettingError.check(.topP, 1.0, closed) == nil && SettingError.check(.topP, 0.0, closed) != nil)
        #expect(SettingError.check(.topP, .nan, closed) != nil)
    }

    @Test func messagesNameTheSettingTheLimitAndTheValue() {
        #expect(
            SettingError(.dropout, .real(1.5), .fraction(includingZero: true, includingOne: false)).description
                == "dropout must be in [0, 1), got 1.5")
        #expect(
            SettingError(.topP, .real(0), .fraction(includingZero: false, includingOne: true)).worded { _ in "top_p" }
                == "top_p must be in (0, 1], got 0.0")
        #expect(
            SettingError(.gradientClip, .real(-2), .offOrPositive).description
                == "gradientClip must be 0 (off) or positive, got -2.0")
        #expect(
            SettingError(.batchSize, .integer(5), .multipleOfRanks(2)).description
                == "batchSize must be a multiple of the 2 ranks, got 5")
    }

    @Test func configurationsReportTheirFirstProblem() {
        var model = ModelConfig(vocabularySize: 10)
        #expect(model.problem == nil)
        (model.hiddenSize, model.layers) = (0, 0)
        #expect(model.problem == SettingError(.layers, .integer(0), .atLeast(1)))
        var training = TrainingConfig()
        #expect(training.problem == nil)
        training.regularization = Regularization(weightDrop: 1)
        #expect(training.problem?.setting == .weightDrop)
        training.maxSeconds = 0
        #expect(training.problem == SettingError(.maxSeconds, .real(0), .positive))
        #expect(SamplingConfig(topK: 0).problem == SettingError(.topK, .integer(0), .atLeast(1)))
        #expect(DynamicEvaluation(decay: 2).problem?.setting == .dynamicDecay)
        #expect(DynamicEvaluation(learningRate: .infinity).problem?.setting == .dynamicLearningRate)
    }
}
