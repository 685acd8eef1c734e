// Stop texts, in the scanner and in generation.
import Foundation
import Testing

@testable import CharRNN

/// Stop texts: found across pieces, text that may begin one held back until decided, the stop text kept or cut,
/// and nothing after it.
@Suite struct StopTests {
    /// What a scanner passes on for `pieces`, joined, and whether it stopped.
    func scan(_ pieces: [String], stop: [String], include: Bool) -> (text: String, stopped: Bool, emitted: [String]) {
        var scanner = StopScanner(stop: stop, includeStop: include)
        var emitted: [String] = []
        for piece in pieces {
            let (bytes, stopped) = scanner.push(Array(piece.utf8))
            emitted.append(String(decoding: bytes, as: UTF8.self))
            if stopped { return (emitted.joined(), true, emitted) }
        }
        emitted.append(String(decoding: scanner.finish(), as: UTF8.self))
        return (emitted.joined(), false, emitted)
    }

    @Test func stopTextsAreFoundAcrossPiecesAndCutWithOrWithoutThem() {
        let pieces = ["hello wor", "ld\n", "\nmore", " text"]
        #expect(scan(pieces, stop: ["\n\n"], include: true).text == "hello world\n\n")
        #expect(scan(pieces, stop: ["\n\n"], include: false).text == "hello world")
        #expect(scan(pieces, stop: ["\n\n"], include: false).stopped)
        // A line feed that may begin the stop text waits for the next piece.
        #expect(scan(pieces, stop: ["\n\n"], include: false).emitted == ["hello wor", "ld", ""])
        #expect(scan(["a\n", "b"], stop: ["\n\n"], include: false).emitted == ["a", "\nb", ""])
        // No stop: everything, the held text released at the end.
        #expect(scan(["a\n", "b\n"], stop: ["\n\n"], include: false) == ("a\nb\n", false, ["a", "\nb", "\n"]))
        #expect(scan(pieces, stop: [], include: false).text == pieces.joined())
        // The earliest stop text wins; of two starting together, the longer.
        #expect(scan(["xx abc def"], stop: ["def", "abc"], include: true).text == "xx abc")
        #expect(scan(["xx abcd"], stop: ["ab", "abcd"], include: true).text == "xx abcd")
        // Several bytes per character: cuts fall between characters.
        #expect(scan(["床前明", "月光。疑是"], stop: ["月光。"], include: false).text == "床前明")
        #expect(scan(["床前明", "月光。疑是"], stop: ["光。"], include: true).text == "床前明月光。")
    }

    /// A stream's generated text with a stop text is its text without one, cut at the first occurrence; the other
    /// streams are not disturbed, and writeSamples writes them in order.
    @Test func generationStopsEachStreamAtItsFirstStopText() throws {
        let corpus = try smallCorpus()
        let model = smallModel(vocabularySize: corpus.vocabulary.count, seed: 6)
        let prime = try corpus.vocabulary.encode("the").ids
        func generate(stop: [String], include: Bool) throws -> (texts: [String], reasons: [FinishReason]) {
            let g = try TextGenerator(
                model: model, vocabulary: corpus.vocabulary, streams: 3, sampling: SamplingConfig(temperature: 1.5),
                seed: 3)
            g.prime(prime)
            var texts = ["", "", ""]
            let reasons = g.generate(tokens: 60, stop: stop, includeStop: include) { b, text in
                texts[b] += text
                return true
            }
            return (texts, reasons)
        }
        let free = try generate(stop: [], include: true)
        #expect(free.reasons == [.length, .length, .length])
        let stop = " "
        for include in [true, false] {
            let stopped = try generate(stop: [stop], include: include)
            #expect(stopped.reasons.contains(.stop), "no stream produced the stop text: \(free.texts)")
            for b in 0..<3 {
                if let range = free.texts[b].range(of: stop) {
                    let expected = String(free.texts[b][..<(include ? range.upperBound : range.lowerBound)])
                    #expect(stopped.texts[b] == expected && stopped.reasons[b] == .stop, "stream \(b)")
                } else {
                    #expect(stopped.texts[b] == free.texts[b] && stopped.reasons[b] == .length, "stream \(b)")
                }
            }
        }
        // writeSamples: the echo, stream 0, then each later stream after the separator.
        let g = try TextGenerator(
            model: model, vocabulary: corpus.vocabulary, streams: 3, sampling: SamplingConfig(temperature: 1.5), seed: 3
        )
        g.prime(prime)
        var written = ""
        g.writeSamples(tokens: 60, echo: "the", separator: "|") { written += $0 }
        #expect(written == free.texts.map { "the" + $0 }.joined(separator: "|"))
    }
}
