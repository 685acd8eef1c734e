// The code point unit: one token per Unicode scalar, so clusters split.
import Foundation
import Testing

@testable import CharRNN

@Suite struct CodepointUnitTests {
    @Test func codepointsSplitClusters() throws {
        #expect(
            try tokens("e\u{301}👍🏽", TokenizerConfig(unit: .codepoint, normalization: .none))
                == ["e", "\u{301}", "👍", "🏽"])
    }
}
