// Faults in data-parallel training under mpirun: bad input and mismatched ranks end the job with one line,
// drifting replicas are caught, signals to mpirun stop every rank with a checkpoint, and a killed rank ends the job
// while the last checkpoint resumes. Helpers: runMPI and startMPI in Runners.swift, mpiCorpus in MPITests.swift.
import Foundation
import TestSupport
import Testing

@testable import CharRNN

@Suite struct MPIFaultTests {
    @Test func badInputFailsTheJobWithOneLine() throws {
        try withTemporaryDirectory { dir in
            let corpus = try mpiCorpus(in: dir)
            let odd = try runMPI(
                ranks: 2,
                ["train", "--no-auto", corpus, "-o", dir.path + "/odd", "--batch-size", "5", "--max-steps", "2"])
            #expect(
                odd.status == 1
                    && odd.stderr
                        == "charrnn: error: --batch-size must be a multiple of the 2 ranks, got 5\n",
                "\(odd.stderr)")
            let missing = try runMPI(
                ranks: 2,
                ["train", "--no-auto", dir.path + "/nothing.txt", "-o", dir.path + "/missing", "--max-steps", "2"])
            #expect(
                missing.status == 1
                    && missing.stderr
                        == "charrnn: error: \(dir.path)/nothing.txt: no such file or directory; check the path\n",
                "\(missing.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.path + "/odd/latest.safetensors"))
        }
    }

    /// A checkpoint write that fails on rank 0 mid-run (a 64 KiB file-size limit on every rank, as on a full disk)
    /// stops every rank with rank 0's one line and leaves the previous checkpoint as it was. Also with mpirun told
    /// not to end the job when a rank fails (as Slurm's srun does not without --kill-on-bad-exit): rank 1 must then
    /// learn of the failure from charrnn and exit with status 1 itself, not wait in the next update's all-reduce.
    /// The limit is set by each rank's shell, not around mpirun: mpirun itself hangs under it (Open MPI 4.1.4).
    @Test func aFailedCheckpointWriteOnRankZeroStopsEveryRank() throws {
        try withTemporaryDirectory { dir in
            let corpus = try mpiCorpus(in: dir)
            let run = dir.path + "/run"
            let flags = ["--hidden", "64", "--embedding", "8", "--batch-size", "4", "--seq-length", "8", "--quiet"]
            let first = try runMPI(ranks: 2, ["train", "--no-auto", corpus, "-o", run, "--max-steps", "3"] + flags)
            try #require(first.status == 0, "\(first.stderr)")
            let latest = try Data(contentsOf: URL(fileURLWithPath: run + "/latest.safetensors"))
            #expect(latest.count > 100 * 1024)  // above the limit below
            let mpirun = try #require(MPI.mpirun)
            // Each rank under the limit, its exit status written to DIR/rank-N.
            let script =
                "ulimit -f 64; \"$0\" \"$@\"; s=$?; echo $s > \(dir.path)/rank-$OMPI_COMM_WORLD_RANK; exit $s"
            let limited = ["/bin/bash", "-c", script, charrnnExecutable.path]
            for abortsTheJob in [true, false] {
                let r = try runCharRNN(
                    [
                        "train", "--no-auto", corpus, "-o", run, "--resume", run + "/latest.safetensors", "--max-steps",
                        "30",
                        "--eval-every", "2", "--quiet",
                    ],
                    timeout: 60,
                    launcher: [mpirun] + MPI.launcher(ranks: 2)
                        + ["--mca", "orte_abort_on_non_zero_status", abortsTheJob ? "1" : "0"] + limited)
                // Without aborting, mpirun exits 0 whatever the ranks did: the ranks' own statuses tell.
                #expect(r.status == (abortsTheJob ? 1 : 0), "\(r.stderr)")
                #expect(
                    r.stderr.hasPrefix(
                        "charrnn: error: \(run)/latest.safetensors: cannot write (write failed: File too large)")
                        && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
                #expect(try Data(contentsOf: URL(fileURLWithPath: run + "/latest.safetensors")) == latest)
                if !abortsTheJob {
                    for rank in 0..<2 {
                        let status = try? String(contentsOfFile: dir.path + "/rank-\(rank)", encoding: .utf8)
                        #expect(status == "1\n", "rank \(rank) exited with \(status ?? "no status (killed)")")
                    }
                }
            }
        }
    }

    /// MPMD: rank 1 started with another seed. The job stops with one line naming rank 1.
    @Test func ranksStartedWithOtherArgumentsStopTheJob() throws {
        try withTemporaryDirectory { dir in
            let corpus = try mpiCorpus(in: dir)
            let mpirun = try #require(MPI.mpirun)
            let common = ["train", "--no-auto", corpus, "-o", dir.path + "/run", "--hidden", "16", "--max-steps", "2"]
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

    /// A replica that drifts (a fault planted in rank 1 after update 7, through the library's
    /// `Trainer.afterUpdate`, by the replica-drift fixture) stops the run at the next comparison, naming the step.
    @Test func driftingReplicasStopTheRun() throws {
        try withTemporaryDirectory { dir in
            let corpus = try mpiCorpus(in: dir)
            let mpirun = try #require(MPI.mpirun)
            let fixture = charrnnExecutable.deletingLastPathComponent().appendingPathComponent("replica-drift")
            let r = try runCharRNN(
                [corpus, dir.path + "/run", "1", "7"], launcher: [mpirun] + MPI.launcher(ranks: 2) + [fixture.path])
            #expect(r.status == 1, "\(r.stderr)")
            // The next comparison is the checkpoint at step 25 (every 25 updates here, and every 100).
            #expect(
                r.stderr.hasPrefix("replica-drift: error: the ranks' copies of the model differ at step 25"),
                "\(r.stderr)")
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
            let job = try startEndlessRun(corpus: corpus, run: run)
            kill(job.processIdentifier, signal)
            let (ended, stderr) = job.finish(timeout: 60)
            // mpirun passes on the ranks' 130 after SIGUSR1; after SIGINT or SIGTERM it ends the job itself, with 1.
            let expected: Int32 = signal == SIGUSR1 ? 130 : 1
            #expect(ended && job.terminationStatus == expected, "\(stderr)")
            #expect(stderr.contains("charrnn: interrupted at step"), "\(stderr)")
            try expectTheCheckpointResumes(corpus: corpus, run: run)
        }
    }

    /// A rank killed with SIGKILL ends the whole job within seconds, and the last checkpoint on disk resumes.
    @Test func aKilledRankEndsTheJobAndTheCheckpointResumes() throws {
        try withTemporaryDirectory { dir in
            let corpus = try mpiCorpus(in: dir)
            let run = dir.path + "/run"
            let job = try startEndlessRun(corpus: corpus, run: run, ["--quiet"])
            let rank1 = try #require(processes(withEnvironment: "OMPI_COMM_WORLD_RANK=1", commandContaining: run).first)
            kill(rank1, SIGKILL)
            let killed = Date()
            let (ended, stderr) = job.finish(timeout: 60)
            #expect(ended && job.terminationStatus != 0, "\(stderr)")
            #expect(Date().timeIntervalSince(killed) < 10, "the job took \(Date().timeIntervalSince(killed)) s to end")
            try expectTheCheckpointResumes(corpus: corpus, run: run)
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

/// A 2-rank run with no step limit, once its first checkpoint is on disk (or it has ended).
func startEndlessRun(corpus: String, run: String, _ extra: [String] = []) throws -> RunningProgram {
    let job = try startMPI(
        ranks: 2,
        [
            "train", "--no-auto", corpus, "-o", run, "--hidden", "32", "--batch-size", "8", "--seq-length", "16",
            "--max-steps", "100000000", "--eval-every", "5", "--eval-tokens", "500",
        ] + extra)
    #expect(waitUntil { FileManager.default.fileExists(atPath: run + "/metrics.jsonl") || !job.isRunning })
    return job
}

/// The run's latest checkpoint resumes with 2 ranks for 2 more updates.
func expectTheCheckpointResumes(
    corpus: String, run: String, sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let step = try Checkpoint.read(from: run + "/latest.safetensors").state.step
    let resumed = try runMPI(
        ranks: 2,
        [
            "train", "--no-auto", corpus, "-o", run, "--resume", run + "/latest.safetensors", "--max-steps",
            "\(step + 2)",
            "--quiet",
        ])
    #expect(resumed.status == 0, "\(resumed.stderr)", sourceLocation: sourceLocation)
}
