// The truncated-BPTT batch layout, checked with exact token ranges.
import Testing

@testable import CharRNN

@Suite struct BatchLayoutTests {
    // 2 streams × 3 steps over tokens 100..<120 of a corpus whose id at index i is i % 50.
    let ids = TokenIDs((0..<200).map { $0 % 50 })

    @Test func rowsAreContiguousStreamsAndBatchesContinueThem() throws {
        let layout = try BatchLayout(tokens: 100..<120, batchSize: 2, sequenceLength: 3)
        // (20 - 1) / (2 × 3) = 3 batches; stream 0 covers inputs 100..<109, stream 1 covers 109..<118.
        #expect(layout.batchesPerEpoch == 3)
        #expect(layout.start(row: 0, batch: 0) == 100)
        #expect(layout.start(row: 0, batch: 1) == 103)
        #expect(layout.start(row: 1, batch: 0) == 109)
        #expect(layout.start(row: 1, batch: 2) == 115)
        var inputs: [Int32] = []
        var targets: [Int32] = []
        for batch in 0..<3 {
            layout.fill(batch: batch, from: ids, inputs: &inputs, targets: &targets)
            for row in 0..<2 {
                let first = 100 + row * 9 + batch * 3
                // Time-major: element [t * B + row].
                #expect((0..<3).map { inputs[$0 * 2 + row] } == (first..<(first + 3)).map { Int32($0 % 50) })
                #expect((0..<3).map { targets[$0 * 2 + row] } == ((first + 1)..<(first + 4)).map { Int32($0 % 50) })
            }
        }
        // The last target used is index 118 < 120: inside the range.
        #expect(layout.start(row: 1, batch: 2) + 3 < 120)
    }

    @Test func exactlyOneBatchNeedsBTPlusOneTokens() throws {
        #expect(try BatchLayout(tokens: 0..<7, batchSize: 2, sequenceLength: 3).batchesPerEpoch == 1)
        #expect(throws: CorpusError.self) { try BatchLayout(tokens: 0..<6, batchSize: 2, sequenceLength: 3) }
    }

    @Test func invalidSizesAreErrors() {
        #expect(throws: CorpusError.self) { try BatchLayout(tokens: 0..<100, batchSize: 0, sequenceLength: 3) }
        #expect(throws: CorpusError.self) { try BatchLayout(tokens: 0..<100, batchSize: 2, sequenceLength: -1) }
        #expect(throws: CorpusError.self) {
            try BatchLayout(tokens: 0..<100, batchSize: Int.max / 2, sequenceLength: 3)
        }
    }
}
