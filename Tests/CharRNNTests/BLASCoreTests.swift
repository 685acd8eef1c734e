// OpenBLAS's kernel family: the rule for asking for a better one, and the `charrnn` command getting it.
import Foundation
import Testing
import TestSupport

@testable import CharRNN

@Suite struct BLASCoreTests {
    @Test func suggestsTheFamilyForTheCPUOnlyWhenOpenBLASFellBack() {
        #expect(BLASCore.suggestion(forCore: "Prescott", vectorLevel: 2) == "SkylakeX")
        #expect(BLASCore.suggestion(forCore: "prescott", vectorLevel: 1) == "Haswell")
        #expect(BLASCore.suggestion(forCore: "Sandybridge", vectorLevel: 1) == "Haswell")
        #expect(BLASCore.suggestion(forCore: "Prescott", vectorLevel: 0) == nil)  // an old CPU: Prescott is right
        for core in ["Haswell", "SkylakeX", "Zen", "SapphireRapids", "Cooperlake", "unknown"] {
            #expect(BLASCore.suggestion(forCore: core, vectorLevel: 2) == nil, "\(core)")
        }
    }

    /// The command runs OpenBLAS kernels that use this CPU's AVX2 or AVX-512, even where OpenBLAS's own detection
    /// falls back to SSE3 (Debian 12's OpenBLAS on CPUs newer than it). Skipped when the environment chooses the
    /// kernels itself (charrnn then leaves the choice alone).
    @Test(
        .enabled(
            if: ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
            "OPENBLAS_CORETYPE is set: the kernels are the environment's choice"))
    func theCommandRunsKernelsForThisCPU() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var text = ""
        for i in 0..<40 { text += "to be or not to be, line \(i % 5)\n" }
        let r = try runCharRNN(
            [
                "train", "--no-auto", "-o", dir.appendingPathComponent("run").path, "--hidden", "8", "--embedding", "4",
                "--batch-size", "4", "--seq-length", "10", "--max-steps", "1", "--threads", "1",
            ], stdin: Data(text.utf8))
        #expect(r.status == 0, "\(r.stderr)")
        let core = try #require(r.stderr.firstMatch(of: /OpenBLAS (\S+) kernels/)?.output.1, "\(r.stderr)")
        #expect(
            BLASCore.suggestion(forCore: String(core), vectorLevel: BLASCore.vectorLevel) == nil,
            "OpenBLAS runs \(core)")
    }
}
