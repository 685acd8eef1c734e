// Vocabulary: counts, the documented order, --max-vocab / --min-count, <unk>, and the JSON round trip.
import Foundation
import Testing

@testable import CharRNN

@Suite struct VocabularyTests {
    // "abracadabra\n": a×5, b×2, r×2, c×1, d×1, \n×1
    let corpus = Array("abracadabra\n".utf8)

    @Test func idsFollowByteOrderAfterUnk() throws {
        let v = try loadCorpus(bytes: corpus).vocabulary
        #expect(v.count == 7)  // <unk> + 6 tokens
        #expect((1..<v.count).map { v.decode([$0]) } == ["\n", "a", "b", "c", "d", "r"])
        #expect(v.counts == [0, 1, 5, 2, 1, 1, 2])
        #expect(v.id(of: "a") == 2)
        #expect(v.id(of: "z") == Vocabulary.unknownID)
    }

    @Test func orderIsCodePointOrderEvenAcrossSurrogates() throws {
        // U+FF5E (EF BD 9E) sorts before U+1F600 (F0 9F 98 80) in code point and UTF-8 order, though UTF-16
        // order would put the surrogate D83D first.
        let v = try loadCorpus(bytes: Array("😀～".utf8)).vocabulary
        #expect(v.decode([1]) == "～" && v.decode([2]) == "😀")
    }

    @Test func maxVocabKeepsTheMostFrequentAndTiesGoToTheSmallerToken() throws {
        let c = try loadCorpus(bytes: corpus, limits: VocabularyLimits(maxSize: 4))
        // Keep 3: a (5), then b and r (2 each). c, d, \n go to <unk>.
        #expect((1..<c.vocabulary.count).map { c.vocabulary.decode([$0]) } == ["a", "b", "r"])
        #expect(c.vocabulary.counts == [3, 5, 2, 2])
        #expect(c.unknownCount == 3)
        // c, d and the line feed are unknown.
        #expect(c.vocabulary.decode(c.ids) == "abra\u{FFFD}a\u{FFFD}abra\u{FFFD}")
    }

    @Test func maxVocabTieBreakPicksSmallerBytes() throws {
        let c = try loadCorpus(bytes: corpus, limits: VocabularyLimits(maxSize: 3))
        // a (5), then b and r tie at 2: b wins.
        #expect((1..<c.vocabulary.count).map { c.vocabulary.decode([$0]) } == ["a", "b"])
    }

    @Test func minCountDropsRareTokens() throws {
        let c = try loadCorpus(bytes: corpus, limits: VocabularyLimits(minCount: 2))
        #expect((1..<c.vocabulary.count).map { c.vocabulary.decode([$0]) } == ["a", "b", "r"])
        #expect(c.frequencies.count == 6)  // the listing still has every distinct token
        #expect(c.frequencies.first == TokenFrequency(bytes: Array("a".utf8), count: 5))
    }

    @Test(arguments: TokenUnit.allCases)
    func jsonRoundTrip(unit: TokenUnit) throws {
        let text = "Hello, 世界! é👍🏽\n\"quoted\" \\ back\tslash\u{1}"
        let v = try loadCorpus(bytes: Array(text.utf8), TokenizerConfig(unit: unit)).vocabulary
        let data = try v.jsonData()
        let back = try Vocabulary.decode(jsonData: data)
        #expect(back == v)
        #expect(try back.jsonData() == data)
    }

    @Test func encodeMapsUnseenTokensToUnkAndNamesThem() throws {
        let v = try loadCorpus(bytes: corpus).vocabulary
        let (ids, unknown) = try v.encode("cab z")
        #expect(ids == [4, 2, 3, 0, 0])
        #expect(unknown == [" ", "z"])
    }

    /// A vocabulary document with the given version, tokenizer unit, tokens and counts.
    static func document(version: Int = 1, unit: String = "grapheme", tokens: String, counts: String) -> String {
        #"{"format":"charrnn-vocabulary","version":\#(version),"#
            + #""tokenizer":{"unit":"\#(unit)","normalization":"nfc","strictUTF8":false,"locale":""},"#
            + #""unknown":{"token":"<unk>","id":0,"count":0},"tokens":\#(tokens),"counts":\#(counts)}"#
    }

    @Test(arguments: [
        #"{"format":"other","version":1}"#,
        document(version: 2, tokens: "[]", counts: "[]"),
        document(tokens: #"["b","a"]"#, counts: "[1,1]"),
        document(tokens: #"["a"]"#, counts: "[1,1]"),
        document(unit: "byte", tokens: "[300]", counts: "[1]"),
        document(tokens: #"["a",""]"#, counts: "[1,1]"),
        "[1, 2]",
        "not json",
    ])
    func malformedJSONIsATypedError(json: String) {
        #expect(throws: VocabularyError.self) { try Vocabulary.decode(jsonData: Data(json.utf8)) }
    }

    @Test func displayNamesEscape() throws {
        let v = try loadCorpus(bytes: Array("a\n\t\"é".utf8)).vocabulary
        #expect(
            (0..<v.count).map { v.displayName(of: $0) } == ["<unk>", #""\t""#, #""\n""#, #""\"""#, #""a""#, #""é""#])
        #expect(Vocabulary.displayName(of: [0xE4], unit: .byte) == "0xE4")
    }
}
