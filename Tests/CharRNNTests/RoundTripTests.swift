// The round trip decode(encode(text)) == the normalized text, for every unit and form, and chunked loading equals
// whole loading.
import Foundation
import Testing

@testable import CharRNN

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
