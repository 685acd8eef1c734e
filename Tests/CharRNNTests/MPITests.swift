// Data-parallel training through the binary under Open MPI's mpirun, on loopback: N ranks train what one process
// trains, runs repeat byte for byte, resumes work across rank counts, faults end the job with one line or a
// checkpoint, and CMPIShim's view of Open MPI's ABI matches the installed mpi.h.
//
// Needs mpirun (Debian: openmpi-bin; scripts/setup.sh installs it). Skipped with a message without it, except in
// CI, which must run these.
import Foundation
import Testing

@testable import CharRNN

enum MPI {
    /// mpirun on PATH, or nil.
    static let mpirun: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/mpirun" }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }()

    /// Whether these tests run: mpirun is here, or this is CI (where its absence is a failure).
    static let enabled = mpirun != nil || PyTorch.inCI

    /// mpirun's flags for N ranks on this machine over loopback TCP, as root, with its own messages off (-q).
    static func launcher(ranks: Int) -> [String] {
        [
            "--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np", "\(ranks)", "--mca", "btl",
            "self,tcp",
            "--mca", "btl_tcp_if_include", "lo", "--mca", "oob_tcp_if_include", "lo", "-q",
        ]
    }
}

/// Runs `charrnn ARGUMENTS` as `ranks` MPI ranks (through mpirun), like runCharRNN runs one process.
func runMPI(ranks: Int, _ arguments: [String], timeout: TimeInterval = 300) throws -> CommandResult {
    let mpirun = try #require(MPI.mpirun, "mpirun is not installed (Debian: openmpi-bin)")
    return try runCharRNN(
        arguments, timeout: timeout, launcher: [mpirun] + MPI.launcher(ranks: ranks) + [charrnnExecutable.path])
}

/// Starts `charrnn ARGUMENTS` as `ranks` ranks through mpirun, with the signal mask cleared first (by perl,
/// which Debian always has): the test runner's threads block signals, a child inherits the mask, and mpirun leaves
/// it as it finds it, so signals sent to it would never arrive.
func startMPI(ranks: Int, _ arguments: [String]) throws -> TrainingProcess {
    let mpirun = try #require(MPI.mpirun, "mpirun is not installed (Debian: openmpi-bin)")
    let clear = "use POSIX; sigprocmask(SIG_SETMASK, POSIX::SigSet->new); exec @ARGV or die \"exec: $!\""
    return try TrainingProcess(
        ["-e", clear, mpirun] + MPI.launcher(ranks: ranks) + [charrnnExecutable.path] + arguments,
        executable: URL(fileURLWithPath: "/usr/bin/perl"))
}

/// A tiny-shakespeare-like corpus of 60,000 characters for these tests (ASCII verse, so every size works).
func mpiCorpus(in dir: URL) throws -> String {
    var text = ""
    var rng = SplitMix64(seed: 17)
    let words = ["the", "king", "shall", "not", "love", "what", "night", "speak", "my", "lord", "good", "sweet", "is"]
    while text.count < 60_000 {
        for _ in 0..<(5 + Int(rng.next() % 6)) { text += words[Int(rng.next() % UInt64(words.count))] + " " }
        text += rng.next() % 4 == 0 ? ".\n\n" : ",\n"
    }
    let path = dir.appendingPathComponent("corpus.txt").path
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

/// The last validation loss in RUN/metrics.jsonl.
func lastValidationLoss(_ run: String) throws -> Double {
    let lines = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
    return try expectType(try jsonObject(String(try #require(lines.last)))["val_loss"], Double.self, "val_loss")
}

/// The largest difference between two checkpoints' parameters (optimizer moments and state left out).
func largestWeightDifference(_ a: String, _ b: String) throws -> Float {
    let (x, y) = (try Checkpoint.read(from: a), try Checkpoint.read(from: b))
    var worst: Float = 0
    for name in ParameterStore<Float>.layout(x.model).map(\.name) {
        let (u, v) = (try #require(x.tensors[name]), try #require(y.tensors[name]))
        for (p, q) in zip(u, v) { worst = max(worst, abs(p - q)) }
    }
    return worst
}

@Suite(.enabled(if: MPI.enabled, "mpirun is not installed (Debian: openmpi-bin); CI always runs these"))
struct MPITests {
    static func flags(_ cell: String, steps: Int) -> [String] {
        [
            "--cell", cell, "--hidden", "32", "--embedding", "8", "--batch-size", "8", "--seq-length", "16",
            "--dropout", "0.1", "--max-steps", "\(steps)", "--eval-every", "25", "--eval-tokens", "4000", "--seed", "5",
            "--lr-schedule", "cosine", "--warmup-steps", "10", "--lr-decay-steps", "100", "--quiet",
        ]
    }

    /// 2 ranks and 1 process with the same seed and global batch, 100 updates: validation losses within 1e-4
    /// relative, and weights within 1e-3 (measured: ~1e-6; the ranks' gradients are summed in another order).
    @Test(arguments: ["lstm", "gru"])
    func twoRanksTrainWhatOneProcessTrains(cell: String) throws {
        try withTemporaryDirectory { dir in
            let corpus = try mpiCorpus(in: dir)
            let (one, two) = (dir.path + "/one", dir.path + "/two")
            let single = try runCharRNN(["train", corpus, "-o", one] + Self.flags(cell, steps: 100))
            try #require(single.status == 0, "\(single.stderr)")
            let ranks = try runMPI(ranks: 2, ["train", corpus, "-o", two] + Self.flags(cell, steps: 100))
            try #require(ranks.status == 0, "\(ranks.stderr)")
            let (a, b) = (try lastValidationLoss(one), try lastValidationLoss(two))
            #expect(abs(a - b) / a < 1e-4, "\(cell): one process \(a), two ranks \(b)")
            let worst = try largestWeightDifference(one + "/latest.safetensors", two + "/latest.safetensors")
            #expect(worst < 1e-3, "\(cell): weights differ by up to \(worst)")
        }
    }

    @Test func theSameTwoRankCommandWritesTheSameBytes() throws {
        try withTemporaryDirectory { dir in
            let corpus = try mpiCorpus(in: dir)
            for run in ["a", "b"] {
                let r = try runMPI(
                    ranks: 2, ["train", corpus, "-o", dir.path + "/" + run] + Self.flags("lstm", steps: 30))
                try #require(r.status == 0, "\(r.stderr)")
            }
            for file in ["latest.safetensors", "best.safetensors"] {
                let (a, b) = (
                    try Data(contentsOf: dir.appendingPathComponent("a/" + file)),
                    try Data(contentsOf: dir.appendingPathComponent("b/" + file))
                )
                #expect(a == b, "\(file) differs")
            }
        }
    }

    /// 2 ranks for 40 steps equal 2 ranks for 20 and 20 more after resuming, byte for byte; a checkpoint of 2
    /// ranks resumes on 1 process and one of 1 process on 2, and both go on to a lower loss, close to the
    /// uninterrupted run's.
    @Test func resumesAcrossRankCounts() throws {
        try withTemporaryDirectory { dir in
            let corpus = try mpiCorpus(in: dir)
            let whole = dir.path + "/whole"
            let r = try runMPI(ranks: 2, ["train", corpus, "-o", whole] + Self.flags("lstm", steps: 50))
            try #require(r.status == 0, "\(r.stderr)")
            let halves = dir.path + "/halves"
            try #require(
                try runMPI(ranks: 2, ["train", corpus, "-o", halves] + Self.flags("lstm", steps: 25)).status == 0)
            let copy = dir.path + "/at25.safetensors"
            try FileManager.default.copyItem(atPath: halves + "/latest.safetensors", toPath: copy)
            let resumed = try runMPI(
                ranks: 2, ["train", corpus, "-o", halves, "--resume", copy, "--max-steps", "50", "--quiet"])
            try #require(resumed.status == 0, "\(resumed.stderr)")
            #expect(
                try Data(contentsOf: URL(fileURLWithPath: halves + "/latest.safetensors"))
                    == Data(contentsOf: URL(fileURLWithPath: whole + "/latest.safetensors")))
            // 2 → 1.
            let onOne = dir.path + "/one"
            let single = try runCharRNN([
                "train", corpus, "-o", onOne, "--resume", copy, "--max-steps", "50", "--quiet",
            ])
            try #require(single.status == 0, "\(single.stderr)")
            // 1 → 2, from the single process's checkpoint at 25.
            let firstHalf = dir.path + "/first"
            try #require(
                try runCharRNN(["train", corpus, "-o", firstHalf] + Self.flags("lstm", steps: 25)).status == 0)
            let onTwo = dir.path + "/two"
            let back = try runMPI(
                ranks: 2,
                [
                    "train", corpus, "-o", onTwo, "--resume", firstHalf + "/latest.safetensors", "--max-steps", "50",
                    "--quiet",
                ])
            try #require(back.status == 0, "\(back.stderr)")
            let start = try Checkpoint.read(from: copy).state.lastValidationLoss ?? .infinity
            let reference = try lastValidationLoss(whole)
            for run in [onOne, onTwo] {
                let loss = try lastValidationLoss(run)
                #expect(
                    loss < start && abs(loss - reference) / reference < 1e-3,
                    "\(run): \(start) → \(loss), uninterrupted \(reference)")
                #expect(try Checkpoint.read(from: run + "/latest.safetensors").state.step == 50)
            }
        }
    }

    @Test func badInputFailsTheJobWithOneLine() throws {
        try withTemporaryDirectory { dir in
            let corpus = try mpiCorpus(in: dir)
            let odd = try runMPI(
                ranks: 2, ["train", corpus, "-o", dir.path + "/odd", "--batch-size", "5", "--max-steps", "2"])
            #expect(
                odd.status == 1
                    && odd.stderr
                        == "charrnn: error: --batch-size 5 does not divide evenly among 2 ranks; give a multiple of "
                        + "2\n",
                "\(odd.stderr)")
            let missing = try runMPI(
                ranks: 2, ["train", dir.path + "/nothing.txt", "-o", dir.path + "/missing", "--max-steps", "2"])
            #expect(
                missing.status == 1
                    && missing.stderr
                        == "charrnn: error: \(dir.path)/nothing.txt: no such file or directory; check the path\n",
                "\(missing.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.path + "/odd/latest.safetensors"))
        }
    }

    /// MPMD: rank 1 started with another seed. The job stops with one line naming rank 1.
    @Test func ranksStartedWithOtherArgumentsStopTheJob() throws {
        try withTemporaryDirectory { dir in
            let corpus = try mpiCorpus(in: dir)
            let mpirun = try #require(MPI.mpirun)
            let common = ["train", corpus, "-o", dir.path + "/run", "--hidden", "16", "--max-steps", "2"]
            let launcher = MPI.launcher(ranks: 1)
            let r = try runCharRNN(
                common + ["--seed", "1", ":"] + launcher + [charrnnExecutable.path] + common + ["--seed", "2"],
                launcher: [mpirun] + launcher + [charrnnExecutable.path])
            #expect(
                r.status == 1
                    && r.stderr
                        == "charrnn: error: rank 1 was started with other arguments than rank 0; start every rank "
                        + "with the same command\n",
                "\(r.stderr)")
        }
    }

    /// A replica that drifts (a planted fault) stops the run at the next comparison, naming the step.
    @Test func driftingReplicasStopTheRun() throws {
        try withTemporaryDirectory { dir in
            let corpus = try mpiCorpus(in: dir)
            let mpirun = try #require(MPI.mpirun)
            let r = try runCharRNN(
                ["train", corpus, "-o", dir.path + "/run"] + Self.flags("lstm", steps: 60),
                launcher: [mpirun] + MPI.launcher(ranks: 2) + ["-x", "CHARRNN_TEST_DRIFT=1,7", charrnnExecutable.path])
            #expect(r.status == 1, "\(r.stderr)")
            // The next comparison is the checkpoint at step 25 (every 25 updates here, and every 100).
            #expect(
                r.stderr.hasPrefix("charrnn: error: the ranks' copies of the model differ at step 25"), "\(r.stderr)")
        }
    }

    /// SIGUSR1 (passed on at once), SIGTERM and SIGINT (turned by mpirun into SIGTERM to every rank a second
    /// later, then SIGKILL a second after that) to mpirun: the ranks stop together after an update, rank 0 writes a
    /// checkpoint that resumes and says how to resume, as one process does.
    @Test(arguments: [SIGUSR1, SIGTERM, SIGINT])
    func signalsToMpirunWriteACheckpoint(signal: Int32) throws {
        try withTemporaryDirectory { dir in
            let corpus = try mpiCorpus(in: dir)
            let run = dir.path + "/run"
            let job = try startMPI(
                ranks: 2,
                [
                    "train", corpus, "-o", run, "--hidden", "32",
                    "--batch-size", "8", "--seq-length", "16", "--max-steps", "100000000", "--eval-every", "5",
                    "--eval-tokens", "500",
                ])
            #expect(
                waitUntil { FileManager.default.fileExists(atPath: run + "/metrics.jsonl") || !job.process.isRunning })
            kill(job.process.processIdentifier, signal)
            let (ended, stderr) = job.finish(timeout: 60)
            // mpirun passes on the ranks' 130 after SIGUSR1; after SIGINT or SIGTERM it ends the job itself, with 1.
            let expected: Int32 = signal == SIGUSR1 ? 130 : 1
            #expect(ended && job.process.terminationStatus == expected, "\(stderr)")
            #expect(stderr.contains("charrnn: interrupted at step"), "\(stderr)")
            let step = try Checkpoint.read(from: run + "/latest.safetensors").state.step
            let resumed = try runMPI(
                ranks: 2,
                [
                    "train", corpus, "-o", run, "--resume", run + "/latest.safetensors", "--max-steps", "\(step + 2)",
                    "--quiet",
                ])
            #expect(resumed.status == 0, "\(resumed.stderr)")
        }
    }

    /// A rank killed with SIGKILL ends the whole job within seconds, and the last checkpoint on disk resumes.
    @Test func aKilledRankEndsTheJobAndTheCheckpointResumes() throws {
        try withTemporaryDirectory { dir in
            let corpus = try mpiCorpus(in: dir)
            let run = dir.path + "/run"
            let job = try startMPI(
                ranks: 2,
                [
                    "train", corpus, "-o", run, "--hidden", "32",
                    "--batch-size", "8", "--seq-length", "16", "--max-steps", "100000000", "--eval-every", "5",
                    "--eval-tokens", "500", "--quiet",
                ])
            #expect(
                waitUntil { FileManager.default.fileExists(atPath: run + "/metrics.jsonl") || !job.process.isRunning })
            let rank1 = try #require(processes(withEnvironment: "OMPI_COMM_WORLD_RANK=1", commandContaining: run).first)
            kill(rank1, SIGKILL)
            let killed = Date()
            let (ended, stderr) = job.finish(timeout: 60)
            #expect(ended && job.process.terminationStatus != 0, "\(stderr)")
            #expect(Date().timeIntervalSince(killed) < 10, "the job took \(Date().timeIntervalSince(killed)) s to end")
            let step = try Checkpoint.read(from: run + "/latest.safetensors").state.step
            let resumed = try runMPI(
                ranks: 2,
                [
                    "train", corpus, "-o", run, "--resume", run + "/latest.safetensors", "--max-steps", "\(step + 2)",
                    "--quiet",
                ])
            #expect(resumed.status == 0, "\(resumed.stderr)")
        }
    }
}

/// The PIDs of processes whose environment holds `variable` (NAME=VALUE) and whose command line contains `text`.
func processes(withEnvironment variable: String, commandContaining text: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
        guard let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ"),
            let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")
        else { return false }
        let variables = environment.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        return variables.contains(variable) && String(decoding: command, as: UTF8.self).contains(text)
    }
}

@Suite(.enabled(if: MPI.enabled, "mpirun is not installed (Debian: openmpi-bin); CI always runs these"))
struct MPIHostsTests {
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
            let script = PyTorch.root.appendingPathComponent("scripts/mpi-two-hosts.sh").path
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
    @Test(
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: "/usr/bin/mpicc") || PyTorch.inCI,
            "mpicc is not installed (Debian: libopenmpi-dev)"))
    func theShimsViewOfOpenMPIsABIIsTheHeaders() throws {
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
                                   && MPI_SUM == (MPI_Op)&ompi_mpi_op_sum && MPI_MIN == (MPI_Op)&ompi_mpi_op_min
                                   && MPI_MAX == (MPI_Op)&ompi_mpi_op_max);
                    return 0;
                }
                """.utf8
            ).write(to: source)
            let binary = dir.appendingPathComponent("abi").path
            let compile = try runCharRNN(["-o", binary, source.path], launcher: ["/usr/bin/mpicc"])
            try #require(compile.status == 0, "\(compile.stderr)")
            let run = try runCharRNN([], launcher: [binary])
            // The values mpi_shim.c uses: MPI_IN_PLACE (void *)1, MPI_THREAD_FUNNELED 1, MPI_SUCCESS 0, 256-byte names.
            #expect(run.stdout == "1 1 0 256 256 256\n1\n", "\(run.stdout)")
        }
    }
}
