// Regularisation does what it says: the masks have the documented layout and rate, the same bits for any thread
// count and any split of the batch into parts, the layers really run on the masked weights, and evaluation never
// sees any of it. (The gradients through every mask are checked in ModelGradientTests.)
import Foundation
import Testing

@testable import CharRNN

@Suite struct RegularizationTests {
    @Test func maskDrawsAreTheSameOnAnyThreadCountAndKeepTheirRate() {
        let count = 200_003
        var reference: [Float] = []
        for threads in [1, 2, 3] {
            var rng = SplitMix64(seed: 5)
            let mask = Buffer<Float>(count: count)
            drawDropoutMask(mask.pointer, count: count, probability: 0.3, using: &rng, threads: threads)
            var sequential = SplitMix64(seed: 5)
            sequential.advance(by: count)
            #expect(rng == sequential, "the generator moves by one draw per value")
            if reference.isEmpty { reference = mask.array }
            #expect(firstDifference(mask.array, reference) == nil, "\(threads) threads")
        }
        let dropped = reference.filter { $0 == 0 }.count
        #expect(abs(Double(dropped) / Double(count) - 0.3) < 0.005)
        #expect(reference.allSatisfy { $0 == 0 || $0 == Float(1 / 0.7) })
    }

    /// A locked mask drops the same features of a stream at every step; an elementwise one draws anew each step.
    @Test(arguments: DropoutMasks.allCases)
    func maskLayouts(kind: DropoutMasks) {
        let (steps, rows, width) = (4, 3, 50)
        var rng = SplitMix64(seed: 2)
        let mask = Buffer<Float>(count: (kind == .locked ? 1 : steps) * rows * width)
        drawActivationMask(
            mask.pointer, kind: kind, steps: steps, rows: rows, width: width, probability: 0.5, part: nil, using: &rng)
        let values = Buffer<Float>([Float](repeating: 1, count: steps * rows * width))
        applyActivationMask(values.pointer, mask: mask.pointer, kind: kind, steps: steps, rows: rows, width: width)
        let block = rows * width
        let stepsAlike = (1..<steps).allSatisfy { t in (0..<block).allSatisfy { values[t * block + $0] == values[$0] } }
        #expect(stepsAlike == (kind == .locked))
        #expect((0..<block).contains { values[$0] == 0 } && (0..<block).contains { values[$0] == 2 })
    }

    /// Processes that each own a part of the batch draw, between them, the mask one process draws for all of it.
    @Test(arguments: DropoutMasks.allCases)
    func partsOfTheBatchMakeUpTheWholeMask(kind: DropoutMasks) {
        let (steps, batch, width) = (3, 6, 7)
        let maskSteps = kind == .locked ? 1 : steps
        var whole = SplitMix64(seed: 9)
        let all = Buffer<Float>(count: maskSteps * batch * width)
        drawActivationMask(
            all.pointer, kind: kind, steps: steps, rows: batch, width: width, probability: 0.4, part: nil, using: &whole
        )
        for streams in [0..<2, 2..<4, 4..<6] {
            var rng = SplitMix64(seed: 9)
            let mask = Buffer<Float>(count: maskSteps * streams.count * width)
            drawActivationMask(
                mask.pointer, kind: kind, steps: steps, rows: streams.count, width: width, probability: 0.4,
                part: BatchPart(streams: streams, batch: batch), using: &rng)
            #expect(rng == whole, "every part leaves the generator where the whole batch does")
            for t in 0..<maskSteps {
                for (i, s) in streams.enumerated() {
                    for f in 0..<width {
                        #expect(
                            mask[(t * streams.count + i) * width + f] == all[(t * batch + s) * width + f],
                            "step \(t) stream \(s)")
                    }
                }
            }
        }
    }

    @Test func embeddingDropoutDropsWholeRows() {
        let (rows, width) = (400, 6)
        var rng = SplitMix64(seed: 4)
        let table = randomBuffer(rows * width, using: &rng) as Buffer<Float>
        let dropped = DroppedParameter<Float>(count: rows * width, rowWidth: width)
        dropped.draw(from: table.pointer, probability: 0.25, using: &rng, threads: 1)
        var zeroRows = 0
        for r in 0..<rows {
            let row = (0..<width).map { dropped.values[r * width + $0] }
            let scaled = (0..<width).map { table[r * width + $0] / 0.75 }
            if row.allSatisfy({ $0 == 0 }) {
                zeroRows += 1
            } else {
                #expect(zip(row, scaled).allSatisfy { abs($0 - $1) <= 1e-6 * abs($1) }, "row \(r) kept and scaled")
            }
        }
        #expect(zeroRows > 70 && zeroRows < 130, "about a quarter of \(rows) rows dropped, got \(zeroRows)")
    }

    /// The two model tests' batch: T = 4, B = 3 over a vocabulary of 9.
    static let (steps, batch) = (4, 3)
    static let inputs = (0..<(steps * batch)).map { Int32(($0 * 5 + 2) % 9) }
    static let targets = (0..<(steps * batch)).map { Int32(($0 * 7 + 1) % 9) }

    /// A model of `config` initialized from seed 3, with `regularization`.
    func model(
        _ config: ModelConfig, _ regularization: Regularization,
        input: CharRNNModel<Float>.FirstLayerInput = .automatic
    ) -> CharRNNModel<Float> {
        let m = CharRNNModel<Float>(config: config)
        var rng = SplitMix64(seed: 3)
        m.initialize(using: &rng)
        m.regularization = regularization
        m.firstLayerInput = input
        return m
    }

    /// `m`'s loss on the batch from a zero state.
    func loss(_ m: CharRNNModel<Float>, train: Bool, rng: inout SplitMix64) -> Double {
        m.run(
            inputs: Self.inputs, targets: Self.targets, steps: Self.steps, batch: Self.batch,
            state: RecurrentState(config: m.config, batch: Self.batch), train: train, rng: &rng)
    }

    /// Training with DropConnect and embedding dropout gives exactly the loss of a model whose W_hh and embedding
    /// are the masked copies, run without them: the layers really read the masked weights.
    @Test(arguments: CellKind.allCases, [true, false])
    func theLayersRunOnTheMaskedWeights(cell: CellKind, table: Bool) {
        let config = ModelConfig(vocabularySize: 9, cell: cell, layers: 2, hiddenSize: 16, embeddingSize: 5)
        let input: CharRNNModel<Float>.FirstLayerInput = table ? .vocabularyTable : .embeddedRows
        let regularized = model(config, Regularization(weightDrop: 0.5, embeddingDropout: 0.3), input: input)
        var rng = SplitMix64(seed: 17)
        let trained = loss(regularized, train: true, rng: &rng)
        let plain = model(config, Regularization(), input: input)
        let workspace = regularized.workspace(steps: Self.steps, batch: Self.batch)
        for k in 0..<config.layers {
            let masked = workspace.dropouts.recurrentWeights[k]!.values
            #expect(masked.array.contains(0) && masked.array != plain.parameters.recurrent(k).weightHHArray(config))
            plain.parameters.recurrent(k).weightHH.update(from: masked.pointer, count: masked.count)
        }
        let embedding = workspace.dropouts.embedding!.values
        plain.parameters.value("embedding.weight").update(from: embedding.pointer, count: embedding.count)
        var unused = SplitMix64(seed: 0)
        let evaluated = loss(plain, train: false, rng: &unused)
        #expect(trained == evaluated)
    }

    /// Evaluation ignores every regularisation setting and draws nothing; training with any of them changes the
    /// loss.
    @Test func evaluationIsUnchangedAndTrainingIsNot() {
        let config = ModelConfig(vocabularySize: 9, layers: 2, hiddenSize: 16, embeddingSize: 5, dropout: 0.2)
        let settings = [
            Regularization.beforeRegularization, Regularization(), Regularization(inputDropout: 0.3),
            Regularization(outputDropout: 0.3), Regularization(weightDrop: 0.3), Regularization(embeddingDropout: 0.3),
        ]
        var evaluations: [Double] = []
        var trainings: [Double] = []
        for regularization in settings {
            let m = model(config, regularization)
            var masks = SplitMix64(seed: 8)
            evaluations.append(loss(m, train: false, rng: &masks))
            #expect(masks == SplitMix64(seed: 8))
            trainings.append(loss(m, train: true, rng: &masks))
        }
        #expect(Set(evaluations).count == 1)
        #expect(Set(trainings).count == settings.count, "every setting changes the training loss: \(trainings)")
    }
}

extension RecurrentParameters {
    /// W_hh as an array, for comparisons.
    func weightHHArray(_ config: ModelConfig) -> [T] {
        Array(
            UnsafeBufferPointer(start: weightHH, count: config.cell.gateCount * config.hiddenSize * config.hiddenSize))
    }
}
