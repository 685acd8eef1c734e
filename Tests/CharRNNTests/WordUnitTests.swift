// The word unit: ICU's word breaks, which keep spaces and punctuation and split Chinese by dictionary.
import Foundation
import Testing

@testable import CharRNN

@Suite struct WordUnitTests {
    @Test func wordsSegmentChineseByDictionaryAndKeepSpacesAndPunctuation() throws {
        let text = "Hello, world! 我们在北京学习中文。 It's 2026."
        let t = try tokens(text, TokenizerConfig(unit: .word))
        #expect(t.joined() == text)
        #expect(t.contains("Hello") && t.contains("world") && t.contains("It's") && t.contains(" "))
        #expect(t.contains("北京"), "ICU's dictionary keeps 北京 together: \(t)")
        #expect(t.contains("我们"), "\(t)")
        #expect(t.contains("。") && t.contains(","))
    }
}
