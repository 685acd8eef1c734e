// The units other than graphemes: words (ICU's word breaks), code points and bytes.
import Foundation
import Testing

@testable import CharRNN

@Suite struct OtherUnitTests {
    @Test func wordsSegmentChineseByDictionaryAndKeepSpacesAndPunctuation() throws {
        let text = "Hello, world! 我们在北京学习中文。 It's 2026."
        let t = try tokens(text, TokenizerConfig(unit: .word))
        #expect(t.joined() == text)
        #expect(t.contains("Hello") && t.contains("world") && t.contains("It's") && t.contains(" "))
        #expect(t.contains("北京"), "ICU's dictionary keeps 北京 together: \(t)")
        #expect(t.contains("我们"), "\(t)")
        #expect(t.contains("。") && t.contains(","))
    }

    @Test func codepointsSplitClusters() throws {
        #expect(
            try tokens("e\u{301}👍🏽", TokenizerConfig(unit: .codepoint, normalization: .none))
                == ["e", "\u{301}", "👍", "🏽"])
    }

    @Test func bytesAreUTF8Bytes() throws {
        let bytes = Array("aé中😀".utf8)
        #expect(try tokenBytes(bytes, TokenizerConfig(unit: .byte)) == bytes.map { [$0] })
    }
}
