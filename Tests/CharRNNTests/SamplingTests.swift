// The sampler driven by exact coins, the UTF-8 stream repair, and generation through the model.
import Foundation
import Testing

@testable import CharRNN

@Suite struct SamplerTests {
    // Logits for <unk> and tokens 1…4; <unk> has the largest logit so a sampler that forgot to exclude it fails.
    let logits: [Float] = [10, 0, log(2), log(3), log(4)]  // softmax over 1…4 = [1, 2, 3, 4] / 10

    func pick(_ config: SamplingConfig, coin: Double) -> (Int, [Double]) {
        var s = Sampler(config: config, vocabularySize: 5)
        let id = logits.withUnsafeBufferPointer { s.pick($0, coin: coin) }
        return (id, s.lastProbabilities)
    }

    @Test func temperatureOneSamplesTheModelsDistributionAndNeverUnk() {
        let (_, p) = pick(SamplingConfig(temperature: 1), coin: 0)
        #expect(zip(p, [0, 0.1, 0.2, 0.3, 0.4]).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(abs(p.reduce(0, +) - 1) < 1e-12)
        // Coins walk the cumulative distribution 0.1, 0.3, 0.6, 1.0.
        #expect(
            [0.0, 0.099, 0.1, 0.29, 0.31, 0.59, 0.61, 0.999999].map { pick(SamplingConfig(temperature: 1), coin: $0).0 }
                == [1, 1, 2, 2, 3, 3, 4, 4])
    }

    @Test func lowTemperatureTendsToArgmax() {
        #expect(pick(SamplingConfig(greedy: true), coin: 0.0).0 == 4)
        #expect(pick(SamplingConfig(temperature: 1e-6), coin: 0.0).0 == 4)
        let (_, p) = pick(SamplingConfig(temperature: 0.05), coin: 0.5)
        #expect(p[4] > 0.99)  // (4/3)^20 ≈ 315: almost all mass on the argmax
        let (_, hot) = pick(SamplingConfig(temperature: 100), coin: 0.5)
        #expect(hot[1...].allSatisfy { abs($0 - 0.25) < 0.01 })  // high temperature flattens
    }

    @Test func topKKeepsExactlyTheKMostLikely() {
        let (_, p) = pick(SamplingConfig(temperature: 1, topK: 2), coin: 0)
        #expect(zip(p, [0, 0, 0, 3.0 / 7, 4.0 / 7]).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func topPKeepsTheSmallestSetReachingP() {
        // Sorted 0.4, 0.3, 0.2, 0.1: p = 0.7 keeps {4, 3}; p = 0.71 keeps {4, 3, 2}; p = 1 keeps all.
        let (_, a) = pick(SamplingConfig(temperature: 1, topP: 0.7), coin: 0)
        #expect(zip(a, [0, 0, 0, 3.0 / 7, 4.0 / 7]).allSatisfy { abs($0 - $1) < 1e-6 })
        let (_, b) = pick(SamplingConfig(temperature: 1, topP: 0.71), coin: 0)
        #expect(zip(b, [0, 0, 2.0 / 9, 3.0 / 9, 4.0 / 9]).allSatisfy { abs($0 - $1) < 1e-6 })
        let (_, c) = pick(SamplingConfig(temperature: 1, topP: 1), coin: 0)
        #expect(c[1] > 0)
    }

    @Test func heapSortOrdersByProbabilityThenId() {
        var rng = SplitMix64(seed: 8)
        for n in [1, 2, 3, 10, 100] {
            let p = (0..<n).map { _ in Double(rng.next() % 5) / 4 }  // many ties
            var ids = Array(0..<n)
            p.withUnsafeBufferPointer { pp in ids.withUnsafeMutableBufferPointer { Sampler.sortByProbability($0, pp) } }
            #expect(ids == (0..<n).sorted { p[$0] != p[$1] ? p[$0] > p[$1] : $0 < $1 })
        }
    }

    /// The alternatives the server reports against their naive twin: every token sorted by logit (ties by id),
    /// the first k, with log-probabilities equal to `logProbability`'s bits.
    @Test func mostLikelyTokensEqualAFullSort() {
        var rng = SplitMix64(seed: 9)
        for n in [1, 2, 5, 65, 300] {
            let row = (0..<n).map { _ in Float(rng.next() % 7) / 3 - 1 }  // many ties
            row.withUnsafeBufferPointer { row in
                let softmax = LogSoftmax(row)
                let sorted = (0..<n).sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }
                for k in [0, 1, 3, 5, n, n + 2] {
                    let top = softmax.mostLikely(k)
                    #expect(top.map(\.id) == Array(sorted.prefix(k)), "n \(n) k \(k)")
                    #expect(top.allSatisfy { $0.logprob == logProbability(of: $0.id, in: row) })
                }
            }
        }
    }

    @Test func invalidSettingsAreReported() {
        #expect(SamplingConfig(temperature: 0).problem != nil)
        #expect(SamplingConfig(temperature: -1).problem != nil)
        #expect(SamplingConfig(topK: 0).problem != nil)
        #expect(SamplingConfig(topP: 0).problem != nil)
        #expect(SamplingConfig(topP: 1.5).problem != nil)
        #expect(SamplingConfig(topP: 1).problem == nil)
    }
}

@Suite struct UTF8StreamTests {
    @Test func holdsBackIncompleteSequencesAndRepairsInvalidOnes() {
        var s = UTF8Stream()
        var out: [UInt8] = []
        s.push([0x61, 0xE4], into: &out)  // "a", then the first byte of 中
        #expect(out == [0x61])
        s.push([0xB8], into: &out)
        #expect(out == [0x61])
        s.push([0xAD, 0xFF], into: &out)  // 中 complete; 0xFF is never UTF-8
        #expect(String(decoding: out, as: UTF8.self) == "a中\u{FFFD}")
        s.push([0xF0, 0x9F], into: &out)
        s.finish(into: &out)  // an unfinished emoji becomes one U+FFFD
        #expect(String(decoding: out, as: UTF8.self) == "a中\u{FFFD}\u{FFFD}")
    }

    @Test func randomByteStreamsComeOutAsValidUTF8InAnySplit() {
        var rng = SplitMix64(seed: 31)
        for _ in 0..<200 {
            let bytes = (0..<40).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            var s = UTF8Stream()
            var out: [UInt8] = []
            var i = 0
            while i < bytes.count {
                let n = 1 + Int(rng.next() % 3)
                s.push(bytes[i..<min(bytes.count, i + n)], into: &out)
                i += n
            }
            s.finish(into: &out)
            #expect(out == Array(String(decoding: bytes, as: UTF8.self).utf8))
        }
    }
}

@Suite struct GenerationTests {
    @Test func sameSeedSameTokensAndGreedyIsDeterministic() throws {
        let corpus = try smallCorpus()
        let model = smallModel(vocabularySize: corpus.vocabulary.count, seed: 4)
        func generate(seed: UInt64, streams: Int, sampling: SamplingConfig = SamplingConfig()) throws -> [[Int]] {
            let g = try TextGenerator(
                model: model, vocabulary: corpus.vocabulary, streams: streams, sampling: sampling, seed: seed)
            g.prime(try corpus.vocabulary.encode("the cat").ids)
            var out: [[Int]] = []
            var tokens: [Int] = []
            for _ in 0..<30 {
                g.next(into: &tokens)
                out.append(tokens)
            }
            return out
        }
        #expect(try generate(seed: 9, streams: 3) == generate(seed: 9, streams: 3))
        #expect(try generate(seed: 9, streams: 3) != generate(seed: 10, streams: 3))
        #expect(try generate(seed: 9, streams: 3).allSatisfy { !$0.contains(Vocabulary.unknownID) })
        // Greedy: every stream follows the same path.
        let greedy = try generate(seed: 1, streams: 2, sampling: SamplingConfig(greedy: true))
        #expect(greedy.allSatisfy { $0[0] == $0[1] })
    }

    @Test func generateHandsOverTheTextOfTheSameTokens() throws {
        let corpus = try smallCorpus()
        let model = smallModel(vocabularySize: corpus.vocabulary.count, seed: 6)
        let prime = try corpus.vocabulary.encode("the").ids
        func generator() throws -> TextGenerator {
            let g = try TextGenerator(
                model: model, vocabulary: corpus.vocabulary, streams: 2, sampling: SamplingConfig(), seed: 12)
            g.prime(prime)
            return g
        }
        // Token by token with next(into:), decoded per stream …
        let stepwise = try generator()
        var ids: [[Int]] = [[], []]
        var tokens: [Int] = []
        for _ in 0..<25 {
            stepwise.next(into: &tokens)
            for b in 0..<2 { ids[b].append(tokens[b]) }
        }
        // … is what generate hands over, piece by piece.
        var texts = ["", ""]
        try generator().generate(tokens: 25) { b, text in
            texts[b] += text
            return true
        }
        #expect(texts == ids.map { corpus.vocabulary.decode($0) })
        var calls = 0
        try generator().generate(tokens: 25) { _, _ in
            calls += 1
            return false
        }
        #expect(calls == 1)
    }

    @Test func primeInChunksEqualsTheModelRunOverTheWholePrime() throws {
        // A prime longer than one 256-step chunk leaves the same state as one long forward pass.
        let corpus = try smallCorpus()
        let model = smallModel(vocabularySize: corpus.vocabulary.count, cell: .gru, seed: 5)
        let ids = Array(corpus.ids.prefix(600))
        let g = try TextGenerator(
            model: model, vocabulary: corpus.vocabulary, streams: 1, sampling: SamplingConfig(greedy: true), seed: 0)
        g.prime(ids)
        var tokens: [Int] = []
        g.next(into: &tokens)
        let state = RecurrentState<Float>(config: model.config, batch: 1)
        let whole = ids.map { Int32($0) }
        let logits = whole.withUnsafeBufferPointer { model.logits(inputs: $0, steps: 600, batch: 1, state: state) }
        let last = Array(logits[(599 * model.config.vocabularySize)...])
        let argmax = (1..<last.count).max { last[$0] < last[$1] }!
        #expect(tokens[0] == argmax)
    }
}

/// A freshly initialized Float model (H = 16, E = 8) over a vocabulary of `vocabularySize`.
func smallModel(vocabularySize: Int, cell: CellKind = .lstm, seed: UInt64) -> CharRNNModel<Float> {
    let model = CharRNNModel<Float>(
        config: ModelConfig(vocabularySize: vocabularySize, cell: cell, hiddenSize: 16, embeddingSize: 8))
    var rng = SplitMix64(seed: seed)
    model.initialize(using: &rng)
    return model
}

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
