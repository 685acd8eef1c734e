// Helpers of the library's tests: tokenizing strings, random text, corpora from bytes, what this CPU can run, JSON
// and gradient checks. Running the built binary is in Runners.swift; the runner, paths and temporary directories
// are TestSupport's (Tests/TestSupport).
import CKernels
import CKernels.Testing
import Foundation
import TestSupport
import Testing

@testable import CharRNN

/// The tokens of `text` as strings (UTF-16 units decoded), in order.
func tokens(_ text: String, _ config: TokenizerConfig = TokenizerConfig()) throws -> [String] {
    let tokenizer = try Tokenizer(config: config)
    var out: [String] = []
    try tokenizer.tokenize(text) { out.append(String(decoding: $0, as: UTF16.self)) }
    return out
}

/// The tokens of raw bytes, each as the byte sequence it stands for (UTF-8 of its units, or the byte itself).
func tokenBytes(_ bytes: [UInt8], _ config: TokenizerConfig) throws -> [[UInt8]] {
    let tokenizer = try Tokenizer(config: config)
    var out: [[UInt8]] = []
    try bytes.withUnsafeBufferPointer { (buffer) throws(ICUError) in
        try tokenizer.tokenize(buffer) { units in
            if config.unit == .byte {
                out.append([UInt8(units[0])])
            } else {
                var b: [UInt8] = []
                encodeUTF8(units, appendingTo: &b)
                out.append(b)
            }
        }
    }
    return out
}

/// Code points that exercise every grapheme rule: CR/LF/controls, combining marks, ZWJ and emoji, regional
/// indicators, Hangul jamo and syllables, Devanagari consonants, virama and vowel signs, Prepend, CJK, kana.
/// (No NUL: corpora refuse it as binary data, see CorpusError.binary.)
let trickyScalars: [UInt32] = [
    0x61, 0x62, 0x20, 0x0D, 0x0A, 0x09, 0x01, 0x7F, 0xE9, 0x301, 0x308, 0x200D, 0x200C, 0xFE0F, 0x20E3,
    0x1F600, 0x1F468, 0x1F469, 0x1F467, 0x1F3FB, 0x2764, 0x1F1EF, 0x1F1F5, 0x1F1E8, 0x1F1F3, 0x1100, 0x1161,
    0x11A8, 0xAC00, 0xAC01, 0x0915, 0x094D, 0x0937, 0x093F, 0x0924, 0x0930, 0x0600, 0x4E2D, 0x6587, 0xFF0C,
    0x3002, 0x3042, 0x3099, 0x0E01, 0x0E33, 0x05D0, 0x05B7, 0x0627, 0x0644, 0xAD, 0x2028, 0x0041, 0x1F3F3,
]

/// A random string of `length` scalars drawn from `trickyScalars`.
func randomTrickyString(length: Int, using rng: inout SplitMix64) -> String {
    var s = String.UnicodeScalarView()
    for _ in 0..<length {
        s.append(Unicode.Scalar(trickyScalars[Int(rng.next() % UInt64(trickyScalars.count))])!)
    }
    return String(s)
}

/// Which kernels this CPU runs (for tests that can only run where a kernel does, skipped visibly elsewhere).
enum CPU {
    /// The AVX2 kernels (AVX2, FMA and F16C).
    static let hasAVX2 = crnn_kernels_vectorized() != 0
    /// The AVX-512 kernels.
    static let hasAVX512 = crnn_kernel_level(CRNN_LEVEL_AVX512) == CRNN_LEVEL_AVX512
}

/// The CPU's feature flags as the kernel reports them in /proc/cpuinfo (nil where there is none): a description
/// of the CPU independent of the detection the code uses.
enum CPUInfo {
    static let flags: Set<String>? = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
            let colon = line.firstIndex(of: ":")
        else { return nil }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }()
}

/// Loads `text` as a corpus (through a temporary file) with the given settings.
func loadCorpus(
    bytes: [UInt8], _ config: TokenizerConfig = TokenizerConfig(), limits: VocabularyLimits = VocabularyLimits(),
    chunkSize: Int = TextSource.defaultChunkSize
) throws -> Corpus {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("corpus.txt")
    try Data(bytes).write(to: file)
    return try Corpus.load(
        from: TextSource(paths: [file.path]), tokenizer: config, limits: limits, chunkSize: chunkSize)
}

/// tiny-shakespeare, shipped in corpora/ (corpora/README.md says where it comes from).
let tinyShakespeare: URL = repositoryRoot.appendingPathComponent("corpora/tinyshakespeare.txt")

/// `value` as a `T`, or a recorded failure naming `what` (a wrong type fails the test instead of crashing the run).
func expectType<T>(
    _ value: Any?, _ type: T.Type, _ what: String = "the value", sourceLocation: SourceLocation = #_sourceLocation
) throws -> T {
    try #require(
        value as? T, "\(what) is not a \(T.self): \(String(describing: value))", sourceLocation: sourceLocation)
}

/// The JSON object in `text`, or a recorded failure.
func jsonObject(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
    try expectType(
        try JSONSerialization.jsonObject(with: Data(text.utf8)), [String: Any].self, "the JSON",
        sourceLocation: sourceLocation)
}

/// The size of the file at `path` in bytes.
func fileSize(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
    try expectType(
        try FileManager.default.attributesOfItem(atPath: path)[.size], Int.self, "\(path)'s size",
        sourceLocation: sourceLocation)
}

// MARK: Gradient checking

/// A buffer of `count` uniform values in [-scale, scale).
func randomBuffer<T: RNNScalar>(_ count: Int, scale: Double = 1, using rng: inout SplitMix64) -> Buffer<T> {
    Buffer((0..<count).map { _ in T((rng.nextUnitDouble() * 2 - 1) * scale) })
}

/// Central differences of `loss` with respect to every element of `values`.
func numericalGradient(_ values: Buffer<Double>, epsilon: Double = 1e-6, _ loss: () -> Double) -> [Double] {
    (0..<values.count).map { i in
        let saved = values[i]
        values[i] = saved + epsilon
        let plus = loss()
        values[i] = saved - epsilon
        let minus = loss()
        values[i] = saved
        return (plus - minus) / (2 * epsilon)
    }
}

/// Expects analytic and numerical gradients to agree to `tolerance`, relative to their size (with a floor so
/// values near zero are compared absolutely).
func expectGradientsMatch(
    _ analytic: [Double], _ numeric: [Double], _ name: String, tolerance: Double = 1e-6,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(analytic.count == numeric.count, "\(name): sizes differ", sourceLocation: sourceLocation)
    var worst = 0.0
    var worstIndex = -1
    for (i, (a, n)) in zip(analytic, numeric).enumerated() {
        let error = abs(a - n) / max(1e-3, abs(a) + abs(n))
        if error > worst {
            worst = error
            worstIndex = i
        }
    }
    let (a, n) = worstIndex >= 0 ? (analytic[worstIndex], numeric[worstIndex]) : (0, 0)
    #expect(
        worst <= tolerance, "\(name)[\(worstIndex)]: analytic \(a) vs numeric \(n), relative error \(worst)",
        sourceLocation: sourceLocation)
    // A gradient check that compares zeros proves nothing.
    #expect(analytic.contains { abs($0) > 1e-6 }, "\(name): gradient is all zero", sourceLocation: sourceLocation)
}

/// Σ a ⊙ b over `count` elements.
func dot<T: RNNScalar>(_ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ count: Int) -> T {
    var s: T = 0
    for i in 0..<count { s += a[i] * b[i] }
    return s
}
