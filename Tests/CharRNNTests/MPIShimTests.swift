// What data-parallel training rests on below the trainer: CMPIShim's bfloat16 conversions, its view of Open MPI's
// ABI against the installed mpi.h, and two ranks on two real hosts (network namespaces) against loopback.
import CMPIShim
import Foundation
import Testing
import TestSupport

@testable import CharRNN

/// The bfloat16 conversions of the gradient exchange against Swift's own bit arithmetic: round to nearest even,
/// NaN kept, and exact on the way back.
@Suite struct BFloat16Tests {
    @Test func roundsToNearestEvenAndKeepsNaN() {
        var rng = SplitMix64(seed: 3)
        var values: [Float] = [
            0, -0, 1, -1, .infinity, -.infinity, .nan, .greatestFiniteMagnitude, .leastNonzeroMagnitude,
        ]
        // Ties (the low 16 bits exactly 0x8000) with an even and an odd neighbour below, and values either side.
        values += [0x3F80_8000, 0x3F81_8000, 0xBF80_8000, 0xBF81_8000, 0x3F80_7FFF, 0x3F81_8001, 0x7F7F_8000].map {
            Float(bitPattern: $0)
        }
        values += (0..<10_000).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: rng.next())) }
        var halves = [UInt16](repeating: 0, count: values.count)
        crnn_float_to_bfloat16(values, &halves, values.count)
        var back = [Float](repeating: 0, count: values.count)
        crnn_bfloat16_to_float(halves, &back, values.count)
        for (i, value) in values.enumerated() {
            if value.isNaN {
                #expect(back[i].isNaN, "\(value)")
                continue
            }
            // The independent reference: of the two bfloat16 neighbours, the nearer; on a tie, the even one.
            let bits = value.bitPattern
            let (low, high) = (bits & 0xFFFF_0000, (bits & 0xFFFF_0000) &+ 0x1_0000)
            let (distanceLow, distanceHigh) = (bits - low, high &- bits)
            let expected =
                distanceLow < distanceHigh || distanceLow == distanceHigh && (low >> 16) & 1 == 0 ? low : high
            #expect(back[i].bitPattern == expected, "\(value): \(back[i]) vs \(Float(bitPattern: expected))")
        }
    }
}

@Suite struct MPIHostsTests {
    /// Two ranks on two hosts (network namespaces joined by a veth pair, scripts/mpi-two-hosts.sh) write the bytes
    /// two ranks on loopback write: the same sums, carried over a real network stack.
    @Test(.enabled(if: getuid() == 0, "network namespaces need root (CI runs as root)"))
    func twoHostsTrainWhatTwoRanksOnOneHostTrain() throws {
        try withTemporaryDirectory { dir in
            let corpus = try mpiCorpus(in: dir)
            let (local, hosts) = (dir.path + "/local", dir.path + "/hosts")
            let flags = MPITests.flags("lstm", steps: 30)
            let r = try runMPI(ranks: 2, ["train", corpus, "-o", local] + flags)
            try #require(r.status == 0, "\(r.stderr)")
            let script = repositoryRoot.appendingPathComponent("scripts/mpi-two-hosts.sh").path
            let two = try runCharRNN(
                [charrnnExecutable.path, "train", corpus, "-o", hosts] + flags.filter { $0 != "--quiet" },
                launcher: ["/bin/bash", script])
            try #require(two.status == 0, "\(two.stderr)")
            #expect(two.stderr.contains("2 ranks on 2 hosts"), "\(two.stderr)")
            #expect(
                try Data(contentsOf: URL(fileURLWithPath: hosts + "/latest.safetensors"))
                    == Data(contentsOf: URL(fileURLWithPath: local + "/latest.safetensors")))
        }
    }

    /// CMPIShim finds Open MPI's handles by name and uses its constants (MPI_IN_PLACE, MPI_THREAD_FUNNELED, …):
    /// they must be the installed mpi.h's. Compiled with mpicc (Debian: libopenmpi-dev).
    @Test func theShimsViewOfOpenMPIsABIIsTheHeaders() throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: "/usr/bin/mpicc"),
            "mpicc is not installed: bash scripts/setup.sh installs it (libopenmpi-dev)")
        try withTemporaryDirectory { dir in
            let source = dir.appendingPathComponent("abi.c")
            try Data(
                """
                #include <mpi.h>
                #include <stdio.h>
                int main(void) {
                    printf("%ld %d %d %d %d %d\\n", (long)MPI_IN_PLACE, MPI_THREAD_FUNNELED, MPI_SUCCESS,
                           MPI_MAX_PROCESSOR_NAME, MPI_MAX_ERROR_STRING, MPI_MAX_LIBRARY_VERSION_STRING);
                    printf("%d\\n", MPI_COMM_WORLD == (MPI_Comm)&ompi_mpi_comm_world
                                   && MPI_BYTE == (MPI_Datatype)&ompi_mpi_byte
                                   && MPI_FLOAT == (MPI_Datatype)&ompi_mpi_float
                                   && MPI_DOUBLE == (MPI_Datatype)&ompi_mpi_double
                                   && MPI_UINT64_T == (MPI_Datatype)&ompi_mpi_uint64_t
                                   && MPI_UINT16_T == (MPI_Datatype)&ompi_mpi_uint16_t
                                   && MPI_SUM == (MPI_Op)&ompi_mpi_op_sum && MPI_MIN == (MPI_Op)&ompi_mpi_op_min
                                   && MPI_MAX == (MPI_Op)&ompi_mpi_op_max);
                    return 0;
                }
                """.utf8
            ).write(to: source)
            let binary = dir.appendingPathComponent("abi").path
            let compile = try runProgram(URL(fileURLWithPath: "/usr/bin/mpicc"), ["-o", binary, source.path])
            try #require(compile.status == 0, "\(compile.stderr)")
            let run = try runProgram(URL(fileURLWithPath: binary))
            // The values mpi_shim.c uses: MPI_IN_PLACE (void *)1, MPI_THREAD_FUNNELED 1, MPI_SUCCESS 0, 256-byte names.
            #expect(run.stdout == "1 1 0 256 256 256\n1\n", "\(run.stdout)")
        }
    }
}

/// Started as if by an MPI launcher but without a usable Open MPI: one line saying so and what to install, status 1,
/// nothing written. Needs no Open MPI itself (CHARRNN_MPI_LIBRARY names the library to load).
@Suite struct MPILoadingTests {
    @Test(arguments: [
        ("/nonexistent/libmpi.so.40", "cannot load /nonexistent/libmpi.so.40 ("),
        ("libc.so.6", "libc.so.6 has no symbol MPI_Init_thread; charrnn needs Open MPI 4 or 5"),
    ])
    func aMissingOrWrongLibraryIsOneLine(library: String, reason: String) throws {
        try withTemporaryDirectory { dir in
            let corpus = try mpiCorpus(in: dir)
            let r = try runCharRNN(
                ["train", corpus, "-o", dir.path + "/run", "--max-steps", "2"],
                environment: [
                    "OMPI_COMM_WORLD_SIZE": "2", "OMPI_COMM_WORLD_RANK": "0", "CHARRNN_MPI_LIBRARY": library,
                ])
            #expect(r.status == 1, "\(r.stderr)")
            #expect(
                r.stderr.hasPrefix("charrnn: error: started by an MPI launcher, but MPI is unavailable: \(reason)")
                    && r.stderr.hasSuffix("\n") && r.stderr.filter { $0 == "\n" }.count == 1, "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.path + "/run"))
        }
    }
}
