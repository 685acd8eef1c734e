// The grapheme unit (the default token): tricky clusters, against Swift's Character view and against ICU
// without the fast path.
import Foundation
import Testing

@testable import CharRNN

private let raw = TokenizerConfig(normalization: .none)

@Suite struct GraphemeTests {
    @Test(arguments: [
        ("👨‍👩‍👧", 1),  // ZWJ family
        ("🇯🇵🇨🇳", 2),  // two flags: regional indicators pair up
        ("e\u{301}", 1),  // combining acute
        ("\u{1100}\u{1161}\u{11A8}", 1),  // Hangul jamo L V T
        ("क्ष", 1),  // Devanagari conjunct (GB9c, Unicode 15.1)
        ("न्द्र", 1),  // two linkers
        ("क्‍ष", 1),  // conjunct with ZWJ after the virama
        ("कि", 1),  // consonant + vowel sign (SpacingMark)
        ("\r\n", 1),  // CR LF
        ("👍🏽", 1),  // skin tone modifier
        ("1️⃣", 1),  // keycap
        ("🏳️‍🌈", 1),  // rainbow flag
        ("ab", 2),
        ("\n\n", 2),
        ("\r\r", 2),
    ])
    func trickyCasesAreSingleClusters(text: String, count: Int) throws {
        let t = try tokens(text, raw)
        #expect(t.count == count, "\(text.unicodeScalars.map { String($0.value, radix: 16) }): \(t)")
        #expect(t.joined() == text)
    }

    @Test func agreesWithSwiftCharacterViewOnTrickyText() throws {
        var rng = SplitMix64(seed: 1)
        for _ in 0..<300 {
            let text = randomTrickyString(length: 40, using: &rng)
            let expected = text.map { String($0) }
            let actual = try tokens(text, raw)
            #expect(actual == expected, "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }

    @Test func fastPathEqualsICUOnTheWholeText() throws {
        var rng = SplitMix64(seed: 2)
        let fast = try GraphemeSegmenter()
        let naive = try GraphemeSegmenter(fastPath: false)
        for length in [1, 2, 3, 10, 200] {
            for _ in 0..<100 {
                let units = Array(randomTrickyString(length: length, using: &rng).utf16)
                var a: [[UInt16]] = []
                var b: [[UInt16]] = []
                try units.withUnsafeBufferPointer { (text) throws(ICUError) in
                    try fast.segment(text) { a.append(Array($0)) }
                    try naive.segment(text) { b.append(Array($0)) }
                }
                let same = a == b
                #expect(same, "\(units.map { String($0, radix: 16) })")
            }
        }
    }

    @Test func chineseAndAsciiAreOneTokenPerCharacter() throws {
        #expect(try tokens("床前明月光，疑是地上霜。") == "床前明月光，疑是地上霜。".map { String($0) })
        #expect(try tokens("Hi, you!") == ["H", "i", ",", " ", "y", "o", "u", "!"])
    }
}
