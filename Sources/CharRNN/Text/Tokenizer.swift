// Tokenizer: UTF-8 bytes → (repair) UTF-16 → (ICU normalization) → (ICU segmentation) → tokens.
//
// Text arrives in chunks (see Data/TextSource.swift). A chunk must end at the end of the input or right after a
// line feed: no UTF-8 sequence, normalization span, grapheme cluster or word crosses a line feed, so cutting
// there gives exactly the tokens of the whole text (tested). Buffers are reused across chunks; tokenizing
// allocates only while they grow.

/// Cuts text into tokens according to a `TokenizerConfig`.
///
/// Tokens are handed to a closure as UTF-16 code units (for `.byte`, one element holding the byte's value), a
/// view into the tokenizer's buffer that is valid only during the call. Not thread-safe: one per thread.
public final class Tokenizer {
    public let config: TokenizerConfig
    /// The ill-formed UTF-8 met so far (offsets count every byte given to `tokenize`).
    public private(set) var invalidUTF8 = InvalidUTF8Report()
    /// Bytes given to `tokenize` so far.
    public private(set) var bytesRead = 0

    private let graphemes: GraphemeSegmenter?
    private let words: ICUBreakIterator?
    private let normalizer: ICUNormalizer?
    private var decoded: [UInt16] = []  // the chunk as UTF-16
    private var normalized: [UInt16] = []  // the chunk normalized, when it was not already
    private var boundaries = [Int32](repeating: 0, count: 4096)
    private var encoded: [UInt8] = []  // `.byte` only: the normalized chunk as UTF-8

    /// A tokenizer for `config`, with its ICU break iterator and normalizer opened once.
    public init(config: TokenizerConfig = TokenizerConfig()) throws(ICUError) {
        self.config = config
        graphemes = config.unit == .grapheme ? try GraphemeSegmenter(locale: config.locale) : nil
        words = config.unit == .word ? try ICUBreakIterator(kind: .word, locale: config.locale) : nil
        switch config.normalization {
        case .nfc: normalizer = try ICUNormalizer(form: .nfc)
        case .nfkc: normalizer = try ICUNormalizer(form: .nfkc)
        case .none: normalizer = nil
        }
    }

    /// Tokenizes one chunk of UTF-8 and calls `body` with each token, in order.
    ///
    /// - Parameters:
    ///   - chunk: UTF-8 bytes ending at the end of the input or just after a line feed (0x0A).
    ///   - body: receives each token's UTF-16 units (for `.byte`, one element with the byte value), valid during
    ///     the call.
    public func tokenize(_ chunk: [UInt8], _ body: (UnsafeBufferPointer<UInt16>) -> Void) throws(ICUError) {
        try chunk.withUnsafeBufferPointer { (bytes) throws(ICUError) in try tokenize(bytes, body) }
    }

    /// `tokenize(_:_:)` on bytes in place (corpus loading reads chunks into one reused buffer).
    func tokenize(
        _ chunk: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt16>) -> Void
    )
        throws(ICUError)
    {
        decoded.removeAll(keepingCapacity: true)
        decodeUTF8(chunk, appendingTo: &decoded, baseOffset: bytesRead, report: &invalidUTF8)
        bytesRead += chunk.count
        if let normalizer {
            let prefix = try decoded.withUnsafeBufferPointer { (text) throws(ICUError) in
                try normalizer.normalizedPrefixLength(text)
            }
            if prefix < decoded.count {
                let length = try decoded.withUnsafeBufferPointer { (text) throws(ICUError) in
                    try normalizer.normalize(text, into: &normalized)
                }
                try normalized.withUnsafeBufferPointer { (text) throws(ICUError) in
                    try segment(UnsafeBufferPointer(rebasing: text[..<length]), body)
                }
                return
            }
        }
        try decoded.withUnsafeBufferPointer { (text) throws(ICUError) in try segment(text, body) }
    }

    /// Tokenizes a whole string (for priming and tests); the string's own UTF-8 is used as it is.
    public func tokenize(_ text: String, _ body: (UnsafeBufferPointer<UInt16>) -> Void) throws(ICUError) {
        var utf8 = Array(text.utf8)
        try utf8.withUnsafeMutableBufferPointer { (bytes) throws(ICUError) in
            try tokenize(UnsafeBufferPointer(bytes), body)
        }
    }

    /// Cuts normalized UTF-16 text into tokens.
    private func segment(
        _ text: UnsafeBufferPointer<UInt16>, _ body: (UnsafeBufferPointer<UInt16>) -> Void
    )
        throws(ICUError)
    {
        guard !text.isEmpty else { return }
        switch config.unit {
        case .grapheme:
            try graphemes!.segment(text, body)
        case .word:
            let breaker = words!
            try breaker.setText(text)
            var previous = 0
            try boundaries.withUnsafeMutableBufferPointer { (out) throws(ICUError) in
                while true {
                    let n = breaker.nextBoundaries(out)
                    if n == 0 { break }
                    for k in 0..<n {
                        let boundary = Int(out[k])
                        body(UnsafeBufferPointer(rebasing: text[previous..<boundary]))
                        previous = boundary
                    }
                }
            }
        case .codepoint:
            var i = 0
            let n = text.count
            while i < n {
                // A surrogate pair is one scalar; the decoder never leaves a surrogate unpaired.
                let width = (text[i] & 0xFC00 == 0xD800 && i + 1 < n) ? 2 : 1
                body(UnsafeBufferPointer(rebasing: text[i..<(i + width)]))
                i += width
            }
        case .byte:
            encoded.removeAll(keepingCapacity: true)
            encodeUTF8(text, appendingTo: &encoded)
            var unit: UInt16 = 0
            withUnsafeMutablePointer(to: &unit) { pointer in
                let token = UnsafeBufferPointer(start: pointer, count: 1)
                for byte in encoded {
                    pointer.pointee = UInt16(byte)
                    body(token)
                }
            }
        }
    }
}
