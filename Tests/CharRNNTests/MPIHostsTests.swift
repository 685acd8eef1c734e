// Open MPI underneath data-parallel training: two ranks on two real hosts (network namespaces) against loopback,
// and CMPIShim's view of Open MPI's ABI against the installed mpi.h.
import Foundation
import TestSupport
import Testing

@testable import CharRNN

@Suite struct MPIHostsTests {
    /// Two ranks on two hosts (network namespaces joined by a veth pair, scripts/mpi-two-hosts.sh) write the bytes
    /// two ranks on loopback write: the same sums, carried over a real network stack.
    @Test(.enabled(if: getuid() == 0, "network namespaces need root (CI runs as root)"))
    func twoHostsTrainWhatTwoRanksOnOneHostTrain() throws {
        try withTemporaryDirectory { dir in
            let corpus = try mpiCorpus(in: dir)
            let (local, hosts) = (dir.path + "/local", dir.path + "/hosts")
            let flags = MPITests.flags("lstm", steps: 30)
            let r = try runMPI(ranks: 2, ["train", "--no-auto", corpus, "-o", local] + flags)
            try #require(r.status == 0, "\(r.stderr)")
            let script = repositoryRoot.appendingPathComponent("scripts/mpi-two-hosts.sh").path
            let two = try runCharRNN(
                [charrnnExecutable.path, "train", "--no-auto", corpus, "-o", hosts] + flags.filter { $0 != "--quiet" },
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
