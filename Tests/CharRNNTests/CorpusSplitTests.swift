// The train/validation split, checked with exact token ranges.
import Testing

@testable import CharRNN

@Suite struct CorpusSplitTests {
    @Test func matchesNanoGPTOnTinyShakespeareSizes() throws {
        let split = try CorpusSplit(tokenCount: 1_115_394, validationFraction: 0.1)
        #expect(split.training == 0..<1_003_854)  // int(1,115,394 × 0.9)
        #expect(split.validation == 1_003_854..<1_115_394)  // 111,540 tokens
    }

    @Test func zeroFractionMeansNoValidation() throws {
        let split = try CorpusSplit(tokenCount: 10, validationFraction: 0)
        #expect(split.training == 0..<10 && split.validation.isEmpty)
    }

    @Test func tooShortOrBadFractionIsAnError() {
        #expect(throws: CorpusError.self) { try CorpusSplit(tokenCount: 10, validationFraction: 0.05) }  // 0 val
        #expect(throws: CorpusError.self) { try CorpusSplit(tokenCount: 2, validationFraction: 0.5) }
        #expect(throws: CorpusError.self) { try CorpusSplit(tokenCount: 100, validationFraction: 1) }
        #expect(throws: CorpusError.self) { try CorpusSplit(tokenCount: 100, validationFraction: -0.1) }
    }
}
