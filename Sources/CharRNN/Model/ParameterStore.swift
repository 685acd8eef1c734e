// ParameterStore: every trainable number of a model in one flat buffer, with named views, and a gradient buffer of
// the same layout. The optimizer, gradient clipping, the gradient norm and checkpoint I/O are each one loop over
// one buffer (llm.c's malloc_and_point_parameters, torch-rnn's getParameters).
//
// Names and shapes follow PyTorch (an nn.Embedding, an nn.LSTM/GRU/RNN named `rnn`, an nn.Linear named `decoder`):
//   embedding.weight (V, E)
//   rnn.weight_ih_l{k} (G·H, D_k), rnn.weight_hh_l{k} (G·H, H), rnn.bias_ih_l{k} (G·H), rnn.bias_hh_l{k} (G·H)
//   decoder.weight (V, H), decoder.bias (V)
// with D_0 = E and D_k = H above the first layer; G = 4, 3, 1 for LSTM, GRU, RNN.

/// A named tensor inside a flat buffer.
public struct ParameterView: Sendable, Equatable {
    public let name: String
    public let shape: [Int]
    /// Offset of the first element in the flat buffer.
    public let offset: Int
    public var count: Int { shape.reduce(1, *) }
}

/// A model's parameters and gradients, flat, with named views.
public final class ParameterStore<T: RNNScalar> {
    /// The views in PyTorch's state_dict order.
    public let views: [ParameterView]
    let values: Buffer<T>
    let gradients: Buffer<T>
    /// `gradients` followed by `exchangeExtras` more values, in one block: what data-parallel training sums over
    /// all processes in one call (the gradients with the loss and counts after them).
    let exchange: Buffer<T>
    /// Values after the gradients in `exchange`.
    static var exchangeExtras: Int { 4 }
    private let index: [String: Int]

    /// Lays out the parameters of `config`.
    public init(config: ModelConfig) {
        let views = Self.layout(config)
        let count = views.last.map { $0.offset + $0.count } ?? 0
        self.views = views
        values = Buffer(count: count)
        exchange = Buffer(count: count + Self.exchangeExtras)
        gradients = Buffer(viewing: exchange, offset: 0, count: count)
        index = Dictionary(uniqueKeysWithValues: views.enumerated().map { ($1.name, $0) })
    }

    /// The named views of `config`'s parameters, in PyTorch's state_dict order, without allocating them (for
    /// checking a checkpoint's tensors before anything is allocated).
    public static func layout(_ config: ModelConfig) -> [ParameterView] {
        let (v, e, h, g) = (config.vocabularySize, config.embeddingSize, config.hiddenSize, config.cell.gateCount)
        var shapes: [(String, [Int])] = [("embedding.weight", [v, e])]
        for k in 0..<config.layers {
            shapes += [
                ("rnn.weight_ih_l\(k)", [g * h, k == 0 ? e : h]), ("rnn.weight_hh_l\(k)", [g * h, h]),
                ("rnn.bias_ih_l\(k)", [g * h]), ("rnn.bias_hh_l\(k)", [g * h]),
            ]
        }
        shapes += [("decoder.weight", [v, h]), ("decoder.bias", [v])]
        var views: [ParameterView] = []
        var offset = 0
        for (name, shape) in shapes {
            views.append(ParameterView(name: name, shape: shape, offset: offset))
            offset += shape.reduce(1, *)
        }
        return views
    }

    /// Total number of parameters.
    public var count: Int { values.count }

    /// The view named `name` (a programmer error if absent).
    public func view(_ name: String) -> ParameterView {
        guard let i = index[name] else { preconditionFailure("no parameter named \(name)") }
        return views[i]
    }

    /// The values of the tensor `name`, row-major in its view's shape.
    public func tensor(_ name: String) -> [T] {
        let v = view(name)
        return Array(UnsafeBufferPointer(start: values.pointer + v.offset, count: v.count))
    }

    /// Sets the tensor `name` to `newValues` (row-major, as many as its view holds).
    public func setTensor(_ name: String, to newValues: [T]) {
        let v = view(name)
        precondition(newValues.count == v.count, "\(name) holds \(v.count) values, got \(newValues.count)")
        (values.pointer + v.offset).update(from: newValues, count: v.count)
    }

    /// All values, in the order of `views`.
    public var allValues: [T] { values.array }

    /// Pointer to the values of `name`.
    func value(_ name: String) -> UnsafeMutablePointer<T> { values.pointer + view(name).offset }

    /// Pointer to the gradient of `name`.
    func gradient(_ name: String) -> UnsafeMutablePointer<T> { gradients.pointer + view(name).offset }

    /// Layer k's parameters (in `values`, or in `gradients` when `gradient` is true).
    func recurrent(_ k: Int, gradient: Bool = false) -> RecurrentParameters<T> {
        let at = gradient ? self.gradient : self.value
        return RecurrentParameters(
            weightIH: at("rnn.weight_ih_l\(k)"), weightHH: at("rnn.weight_hh_l\(k)"), biasIH: at("rnn.bias_ih_l\(k)"),
            biasHH: at("rnn.bias_hh_l\(k)"))
    }

    /// Sets every gradient to zero (once per training step; backward passes accumulate), on up to `threads`
    /// threads.
    func zeroGradients(threads: Int = 1) {
        nonisolated(unsafe) let g = gradients.pointer
        splitOverWorkers(count, threads: threads, minimumPerPart: 1 << 18) { part in
            (g + part.lowerBound).update(repeating: 0, count: part.count)
        }
    }
}
