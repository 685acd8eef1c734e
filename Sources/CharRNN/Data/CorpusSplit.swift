// The train/validation split: the last fraction of the token stream, contiguous, is validation.
//
// The same rule as nanoGPT's shakespeare_char (train = the first int(n × 0.9) tokens), so validation figures on
// tiny-shakespeare compare with its published ones: 1,003,854 training and 111,540 validation characters.

/// Token ranges for training and validation.
public struct CorpusSplit: Sendable, Equatable {
    /// Tokens used for training: `0..<trainingCount`.
    public let training: Range<Int>
    /// Tokens held out for validation: the rest of the stream.
    public let validation: Range<Int>

    /// Splits `tokenCount` tokens, keeping the last `validationFraction` for validation.
    ///
    /// - Parameters:
    ///   - tokenCount: the length of the token stream.
    ///   - validationFraction: in [0, 1). 0 means no validation split.
    /// - Throws: `CorpusError.invalidSetting` for a fraction outside [0, 1), `.tooShortForTraining` or
    ///   `.tooShortForValidation` when either side would have fewer than 2 tokens (one input and its target).
    public init(tokenCount: Int, validationFraction: Double) throws(CorpusError) {
        let fraction = SettingLimit.fraction(includingZero: true, includingOne: false)
        if let e = SettingError.check(.validationFraction, validationFraction, fraction) { throw .invalidSetting(e) }
        let trainingCount = Int((Double(tokenCount) * (1 - validationFraction)).rounded(.down))
        let validationCount = tokenCount - trainingCount
        if trainingCount < 2 {
            throw .tooShortForTraining(tokens: tokenCount, left: trainingCount, validationFraction: validationFraction)
        }
        if validationFraction > 0 && validationCount < 2 {
            throw .tooShortForValidation(
                tokens: tokenCount, left: validationCount, validationFraction: validationFraction)
        }
        training = 0..<trainingCount
        validation = trainingCount..<tokenCount
    }
}
