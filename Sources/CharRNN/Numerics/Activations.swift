// Elementwise math for the recurrent cells: sigmoid, tanh and exp on SIMD8 vectors.
//
// Why not libm: glibc's tanhf costs ~20 ns; called per gate element it would cost as much as the GEMMs. Float
// uses a polynomial exp (Cody–Waite range reduction, degree-6 Taylor on |r| ≤ ln2/2, then scaling by 2^k through
// the exponent bits): relative error ≤ 2e-7 over the clamped range, about 20× faster than libm per element.
// Double is for gradient checks, where accuracy matters more than speed: it calls libm lane by lane, so finite
// differences see the same smooth function the analytic derivatives describe.
import Foundation

/// A floating-point type the layers run in: Float for training, Double for gradient checks. Only Float and Double
/// conform (the matrix products call CBLAS's single- and double-precision routines).
public protocol RNNScalar: BinaryFloatingPoint, SIMDScalar, Codable, Sendable {
    /// e^x, lane-wise.
    static func exp(_ x: SIMD8<Self>) -> SIMD8<Self>
    /// e^x for one value (softmax).
    static func exp(_ x: Self) -> Self
    /// ln x for one value (cross-entropy).
    static func log(_ x: Self) -> Self
}

extension RNNScalar {
    /// 1 / (1 + e^-x), lane-wise.
    @inline(__always)
    public static func sigmoid(_ x: SIMD8<Self>) -> SIMD8<Self> {
        1 / (1 + exp(-x))
    }

    /// tanh x = 2·sigmoid(2x) − 1, lane-wise (absolute error ~1e-7 in Float near 0, which training does not see).
    @inline(__always)
    public static func tanh(_ x: SIMD8<Self>) -> SIMD8<Self> {
        2 / (1 + exp(-2 * x)) - 1
    }
}

extension Float: RNNScalar {
    @inline(__always)
    public static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        // Clamp so 2^k stays a normal float: e^88.7 ≈ 3.3e38, e^-87.3 ≈ 1.2e-38.
        var v = x.replacing(with: 88.7, where: x .> 88.7)
        v = v.replacing(with: -87.3, where: v .< -87.3)
        // k = round(x / ln 2) by the magic-number trick: adding 1.5·2^23 leaves the rounded integer in the low
        // mantissa bits. (SIMD's own rounding and Float→Int32 conversion compile to per-lane calls, and the
        // conversion traps on NaN; this has neither: a NaN input just comes out NaN.)
        let shifted = v * 1.442_695_04 + 12_582_912
        let k = shifted - 12_582_912
        // r = x − k·ln2, with ln2 split in two so the product is exact in the high part.
        let r = v - k * 0.693_359_375 + k * 2.121_944_4e-4
        // e^r ≈ 1 + r + r²/2! + … + r⁶/6! (Horner).
        var p = SIMD8<Float>(repeating: 1.0 / 720)
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let exponent = (unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        return p * unsafeBitCast(exponent, to: SIMD8<Float>.self)
    }

    @inline(__always) public static func exp(_ x: Float) -> Float { Foundation.exp(x) }
    @inline(__always) public static func log(_ x: Float) -> Float { Foundation.log(x) }
}

extension Double: RNNScalar {
    @inline(__always)
    public static func exp(_ x: SIMD8<Double>) -> SIMD8<Double> {
        var out = SIMD8<Double>()
        for i in 0..<8 { out[i] = Foundation.exp(x[i]) }
        return out
    }

    @inline(__always) public static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    @inline(__always) public static func log(_ x: Double) -> Double { Foundation.log(x) }
}

/// Reads 8 lanes at `p[i]`, or the `count − i` that remain, padding with zeros.
@inline(__always)
func load8<T: RNNScalar>(_ p: UnsafePointer<T>, _ i: Int, _ count: Int) -> SIMD8<T> {
    if i + 8 <= count { return UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<T>.self) }
    var v = SIMD8<T>()
    for k in 0..<(count - i) { v[k] = p[i + k] }
    return v
}

/// Writes 8 lanes to `p[i]`, or only the `count − i` that remain.
@inline(__always)
func store8<T: RNNScalar>(_ v: SIMD8<T>, _ p: UnsafeMutablePointer<T>, _ i: Int, _ count: Int) {
    if i + 8 <= count {
        UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: SIMD8<T>.self)
        return
    }
    for k in 0..<(count - i) { p[i + k] = v[k] }
}
