// The recurrent cells charrnn trains, with PyTorch's equations and gate orders (nn.LSTM, nn.GRU, nn.RNN), so a
// checkpoint loads into the equivalent PyTorch module with load_state_dict.
//
//   lstm  i = σ(W_ii x + b_ii + W_hi h + b_hi)      gate order i, f, g, o in W_ih (4H, D), W_hh (4H, H)
//         f = σ(W_if x + b_if + W_hf h + b_hf)
//         g = tanh(W_ig x + b_ig + W_hg h + b_hg)
//         o = σ(W_io x + b_io + W_ho h + b_ho)
//         c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c')
//   gru   r = σ(W_ir x + b_ir + W_hr h + b_hr)      gate order r, z, n in W_ih (3H, D), W_hh (3H, H)
//         z = σ(W_iz x + b_iz + W_hz h + b_hz)
//         n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))   (reset applied after the hidden product, as cuDNN)
//         h' = (1 − z) ⊙ n + z ⊙ h
//   rnn   h' = tanh(W_ih x + b_ih + W_hh h + b_hh)

/// A recurrent cell type.
public enum CellKind: String, Codable, CaseIterable, Sendable {
    /// Long short-term memory: gates i, f, g, o and a cell state.
    case lstm
    /// Gated recurrent unit: gates r, z, n (PyTorch's formulation).
    case gru
    /// Elman RNN: h = tanh(W_ih x + W_hh h + b).
    case rnn

    /// G: gate blocks stacked in W_ih and W_hh (4, 3, 1).
    public var gateCount: Int {
        switch self {
        case .lstm: return 4
        case .gru: return 3
        case .rnn: return 1
        }
    }

    /// Whether the cell carries a memory cell c besides h.
    public var hasCellState: Bool { self == .lstm }
}

/// Pointers to one recurrent layer's tensors inside a flat parameter (or gradient) buffer.
///
/// Shapes (row-major, PyTorch's): `weightIH` (G·H, D), `weightHH` (G·H, H), `biasIH` (G·H), `biasHH` (G·H).
struct RecurrentParameters<T: RNNScalar> {
    var weightIH: UnsafeMutablePointer<T>
    var weightHH: UnsafeMutablePointer<T>
    var biasIH: UnsafeMutablePointer<T>
    var biasHH: UnsafeMutablePointer<T>

    init(
        weightIH: UnsafeMutablePointer<T>, weightHH: UnsafeMutablePointer<T>, biasIH: UnsafeMutablePointer<T>,
        biasHH: UnsafeMutablePointer<T>
    ) {
        self.weightIH = weightIH
        self.weightHH = weightHH
        self.biasIH = biasIH
        self.biasHH = biasHH
    }
}
