// The invalid-UTF-8 policy: maximal subparts become U+FFFD (as Swift's own decoder does), counted, with the
// first offset; --strict-utf8 refuses the input naming the offset.
import Foundation
import Testing
import TestSupport

@testable import CharRNN

private func decode(_ bytes: [UInt8], base: Int = 0) -> (String, InvalidUTF8Report) {
    var out: [UInt16] = []
    var report = InvalidUTF8Report()
    bytes.withUnsafeBufferPointer { decodeUTF8($0, appendingTo: &out, baseOffset: base, report: &report) }
    return (String(decoding: out, as: UTF16.self), report)
}

@Suite struct UTF8DecodingTests {
    @Test(arguments: [
        ([0x80] as [UInt8], "\u{FFFD}", 1, 0),  // lone continuation byte
        ([0x61, 0xBF, 0x62], "a\u{FFFD}b", 1, 1),
        ([0xE4, 0xB8], "\u{FFFD}", 1, 0),  // truncated 3-byte sequence: one maximal subpart
        ([0xE4, 0xB8, 0x61], "\u{FFFD}a", 1, 0),
        ([0xF0, 0x9F, 0x98], "\u{FFFD}", 1, 0),  // truncated 4-byte sequence
        ([0xC0, 0xAF], "\u{FFFD}\u{FFFD}", 2, 0),  // overlong '/'
        ([0xE0, 0x80, 0xAF], "\u{FFFD}\u{FFFD}\u{FFFD}", 3, 0),  // overlong 3-byte
        ([0xED, 0xA0, 0x80], "\u{FFFD}\u{FFFD}\u{FFFD}", 3, 0),  // encoded surrogate D800
        ([0xF4, 0x90, 0x80, 0x80], "\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}", 4, 0),  // above U+10FFFF
        ([0xFF, 0xFE], "\u{FFFD}\u{FFFD}", 2, 0),
        ([0x61, 0xE2, 0x82, 0xAC], "a€", 0, -1),
    ])
    func invalidSequencesFollowThePolicy(bytes: [UInt8], expected: String, count: Int, first: Int) {
        let (text, report) = decode(bytes, base: 0)
        #expect(text == expected)
        #expect(report.count == count)
        #expect(report.firstOffset == (first < 0 ? nil : first))
    }

    @Test func agreesWithSwiftsDecoderOnRandomBytes() {
        var rng = SplitMix64(seed: 5)
        for _ in 0..<2000 {
            let length = Int(rng.next() % 24)
            // Bias toward bytes that start or continue sequences.
            let bytes: [UInt8] = (0..<length).map { _ in
                let r = rng.next()
                return r % 3 == 0 ? UInt8(truncatingIfNeeded: r >> 8) : UInt8(0x80 | (r >> 8) % 0x78)
            }
            #expect(decode(bytes).0 == String(decoding: bytes, as: UTF8.self), "\(bytes)")
        }
    }

    @Test func offsetsCountFromTheStreamStart() {
        #expect(decode([0x61, 0x80], base: 1000).1.firstOffset == 1001)
    }

    @Test func encodeIsTheInverseOfDecode() {
        var rng = SplitMix64(seed: 6)
        for _ in 0..<100 {
            let s = randomTrickyString(length: 20, using: &rng)
            var bytes: [UInt8] = []
            encodeUTF8(Array(s.utf16), appendingTo: &bytes)
            #expect(bytes == Array(s.utf8))
        }
    }

    @Test func replacementIsCountedAndReportedWithItsFile() throws {
        let corpus = try loadCorpus(bytes: [0x61, 0x0A, 0x62, 0xC3, 0x0A, 0xFF])
        #expect(corpus.statistics.invalidUTF8Count == 2)
        #expect(corpus.statistics.firstInvalidUTF8?.offset == 3)
        #expect(corpus.vocabulary.decode(corpus.ids) == "a\nb\u{FFFD}\n\u{FFFD}")
    }

    @Test func strictModeRefusesNamingTheFileAndOffset() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("a.txt")
        let bad = dir.appendingPathComponent("b.txt")
        try Data("hello\n".utf8).write(to: good)
        try Data([0x6F, 0x6B, 0x0A, 0x78, 0xE4, 0xB8, 0x0A]).write(to: bad)
        let source = try TextSource(paths: [good.path, bad.path])
        #expect(throws: CorpusError.invalidUTF8(source: bad.path, offset: 4, count: 1)) {
            try Corpus.load(from: source, tokenizer: TokenizerConfig(strictUTF8: true))
        }
    }
}
