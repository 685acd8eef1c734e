// What a token is: grapheme clusters (against Swift's Character view and ICU without the fast path), words,
// code points, bytes, normalization, and the round trip decode(encode(text)) == normalized text.
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

@Suite struct NormalizationTests {
    @Test func nfcComposes() throws {
        #expect(try tokens("e\u{301}", TokenizerConfig(normalization: .nfc)) == ["é"])
        #expect(try tokens("\u{AC00}\u{11A8}", TokenizerConfig(normalization: .nfc)) == ["\u{AC01}"])  // LV + T → LVT
        #expect(try tokens("e\u{301}", TokenizerConfig(normalization: .none)) == ["e\u{301}"])
    }

    @Test func nfkcFoldsCompatibilityForms() throws {
        #expect(try tokens("ﬁＡ①", TokenizerConfig(normalization: .nfkc)) == ["f", "i", "A", "1"])
        #expect(try tokens("ﬁＡ①", TokenizerConfig(normalization: .nfc)) == ["ﬁ", "Ａ", "①"])
    }

    @Test func nfcReordersCombiningMarks() throws {
        // dot below (ccc 220) before dot above (ccc 230) is canonical order; NFC composes ạ then adds ̇.
        let t = try tokens("a\u{307}\u{323}", TokenizerConfig(normalization: .nfc))
        #expect(t == ["\u{1EA1}\u{307}"])
    }
}

@Suite struct RoundTripTests {
    /// The normalized form of the whole text in one ICU call (no chunks, no segmentation). Foundation's
    /// normalization is not used as the reference: it leaves a Hangul LV syllable + trailing jamo uncomposed
    /// (가 + ᆨ stays two code points), where NFC gives 각.
    static func normalized(_ text: String, _ form: NormalizationForm) throws -> String {
        let units = Array(text.utf16)
        var out: [UInt16] = []
        let normalizer: ICUNormalizer
        switch form {
        case .none: return text
        case .nfc: normalizer = try ICUNormalizer(form: .nfc)
        case .nfkc: normalizer = try ICUNormalizer(form: .nfkc)
        }
        let n = try units.withUnsafeBufferPointer { (u) throws(ICUError) in try normalizer.normalize(u, into: &out) }
        return String(decoding: out[..<n], as: UTF16.self)
    }

    static let configs: [TokenizerConfig] = TokenUnit.allCases.flatMap { unit in
        NormalizationForm.allCases.map { TokenizerConfig(unit: unit, normalization: $0) }
    }

    @Test(arguments: configs)
    func decodeOfEncodeIsTheNormalizedText(config: TokenizerConfig) throws {
        var rng = SplitMix64(seed: 3)
        for trial in 0..<20 {
            // Random bytes (mostly ill-formed UTF-8) and random tricky text, with line feeds so chunks are cut.
            var bytes: [UInt8]
            if trial % 2 == 0 {
                bytes = (0..<400).map { _ in max(1, UInt8(truncatingIfNeeded: rng.next())) }  // no NUL: binary data
            } else {
                bytes = Array(randomTrickyString(length: 300, using: &rng).utf8)
            }
            let text = try Self.normalized(String(decoding: bytes, as: UTF8.self), config.normalization)
            let corpus = try loadCorpus(bytes: bytes, config, chunkSize: 16)
            // Compared as Booleans: a failure prints the trial, not kilobytes of bytes.
            let same = corpus.vocabulary.bytes(of: corpus.ids) == Array(text.utf8)
            #expect(same, "trial \(trial), \(config)")
        }
    }

    @Test(arguments: TokenUnit.allCases)
    func chunkedLoadingEqualsWholeLoading(unit: TokenUnit) throws {
        var rng = SplitMix64(seed: 4)
        var text = ""
        for _ in 0..<50 { text += randomTrickyString(length: 30, using: &rng) + "\n" }
        text += "no trailing newline क्ष"
        let config = TokenizerConfig(unit: unit)
        let whole = try loadCorpus(bytes: Array(text.utf8), config)
        for chunkSize in [1, 7, 64, 333] {
            let chunked = try loadCorpus(bytes: Array(text.utf8), config, chunkSize: chunkSize)
            let same = chunked.ids == whole.ids
            #expect(same, "chunk size \(chunkSize)")
            #expect(chunked.vocabulary == whole.vocabulary)
        }
    }
}
