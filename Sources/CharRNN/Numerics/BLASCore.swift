// Which of OpenBLAS's kernel families runs the matrix products, and the one to ask for when OpenBLAS fell back
// to its generic SSE3 kernels on a CPU it does not know.
import CKernels
import COpenBLAS

/// OpenBLAS's kernel family ("core") for this process.
///
/// OpenBLAS builds that carry every family (Debian's do) pick one by CPU model when the library loads. A model
/// newer than the library is not in its table, and OpenBLAS then falls back to "Prescott", its SSE3 kernels:
/// Debian 12's OpenBLAS 0.3.21 does this on Intel's Emerald Rapids (family 6, model 207), where training an LSTM
/// 2×512 takes ~1.7× as long as with the AVX-512 kernels (docs/performance-log.md). The environment variable
/// `OPENBLAS_CORETYPE` overrides the choice, but OpenBLAS reads it only while loading, before `main`; so the
/// `charrnn` command starts itself again with it set (see `suggestedCoreType`). A program that uses CharRNN as a
/// library can do the same, or set the variable in its environment.
public enum BLASCore {
    /// OpenBLAS's name for the kernel family it is using, such as "Haswell", "SkylakeX" or "Prescott".
    public static var name: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// The `OPENBLAS_CORETYPE` value that would give this process faster kernels, or nil when OpenBLAS's own
    /// choice stands: "SkylakeX" on a CPU with AVX-512, "Haswell" on one with AVX2 and FMA, when OpenBLAS is
    /// running a family that uses neither.
    public static var suggestedCoreType: String? {
        suggestion(forCore: name, vectorLevel: vectorLevel)
    }

    /// This CPU's vector units: 2 for AVX-512 (F, DQ, BW, VL, CD), 1 for AVX2 with FMA, 0 for neither.
    static var vectorLevel: Int { Int(crnn_cpu_vector_level()) }

    /// The rule behind `suggestedCoreType`, apart from the machine it runs on.
    ///
    /// - Parameter core: OpenBLAS's core name (case does not matter).
    /// - Parameter vectorLevel: the CPU's vector units: 2 for AVX-512, 1 for AVX2 with FMA, 0 for neither.
    /// - Returns: "SkylakeX" or "Haswell" when `core` is one of OpenBLAS's families from before AVX2 and the CPU
    ///   has better; nil otherwise.
    static func suggestion(forCore core: String, vectorLevel: Int) -> String? {
        guard preAVX2Cores.contains(core.lowercased()) else { return nil }
        switch vectorLevel {
        case 2...: return "SkylakeX"
        case 1: return "Haswell"
        default: return nil
        }
    }

    /// OpenBLAS's x86-64 families whose kernels use neither AVX2 nor AVX-512 (lower case).
    private static let preAVX2Cores: Set<String> = [
        "prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "sandybridge",
        "opteron", "opteron_sse3", "barcelona", "bobcat", "bulldozer", "piledriver", "nano",
    ]
}
