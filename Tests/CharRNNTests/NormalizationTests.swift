// Normalization before tokenizing: NFC composes and reorders marks, NFKC folds compatibility forms.
import Foundation
import Testing

@testable import CharRNN

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
