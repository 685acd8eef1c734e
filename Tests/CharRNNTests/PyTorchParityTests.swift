// Checkpoints are PyTorch models: a freshly trained checkpoint of each cell loads into nn.Embedding +
// nn.LSTM/GRU/RNN + nn.Linear with load_state_dict(strict=True), and PyTorch's loss on a text equals
// `charrnn eval`'s to 1e-5 nats per token (tools/pytorch/check_checkpoint.py does both).
//
// PyTorch comes from .build/pytorch-venv (bash scripts/pytorch-venv.sh; the test command makes it) or
// CHARRNN_PYTHON; without it the tests fail, saying how to get it.
import Foundation
import TestSupport
import Testing

@testable import CharRNN

enum PyTorch {
    /// A python that imports torch: CHARRNN_PYTHON, else the venv's; nil when neither exists.
    static let python: String? = {
        let candidates: [String?] = [
            ProcessInfo.processInfo.environment["CHARRNN_PYTHON"],
            repositoryRoot.appendingPathComponent(".build/pytorch-venv/bin/python").path,
        ]
        return candidates.compactMap { $0 }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()
}

@Suite struct PyTorchParityTests {
    @Test(arguments: ["lstm", "gru", "rnn"])
    func checkpointsLoadStrictlyAndScoreLikeCharRNN(cell: String) throws {
        let python = try #require(PyTorch.python, "no PyTorch: bash scripts/pytorch-venv.sh makes .build/pytorch-venv")
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run").path
        // Three layers with dropout between them, sizes that all differ.
        let trained = try runCharRNN(
            [
                "train", "--no-auto", "-o", run, "--cell", cell, "--layers", "3", "--hidden", "24", "--embedding", "10",
                "--dropout",
                "0.1",
                "--batch-size", "4", "--seq-length", "16", "--max-steps", "30", "--eval-every", "30", "--quiet",
            ],
            stdin: ResumeTests.text)
        try #require(trained.status == 0, "\(trained.stderr)")
        let text = dir.appendingPathComponent("text.txt")
        try Data(String(repeating: "she sells sea shells by the sea shore, line 4 of 2\n", count: 20).utf8).write(
            to: text)
        let process = try runProgram(
            URL(fileURLWithPath: python),
            [
                repositoryRoot.appendingPathComponent("tools/pytorch/check_checkpoint.py").path, "--compare",
                "--charrnn", charrnnExecutable.path, "--tolerance", "1e-5", run + "/latest.safetensors", text.path,
            ], timeout: 600)
        let (output, errors) = (process.stdout, process.stderr)
        #expect(process.status == 0, "\(output)\(errors)")
        let report = try jsonObject(output)
        #expect(report["match"] as? Bool == true, "\(output)")
        let difference = try expectType(report["difference"], Double.self, "difference")
        #expect(difference <= 1e-5, "\(cell): PyTorch and charrnn differ by \(difference) nats per token")
    }

    /// A fine-tuned model whose vocabulary grew (format 2) loads strictly in PyTorch and scores like charrnn on a
    /// text of the new characters.
    @Test func aGrownModelLoadsStrictlyAndScoresLikeCharRNN() throws {
        let python = try #require(PyTorch.python, "no PyTorch: bash scripts/pytorch-venv.sh makes .build/pytorch-venv")
        try withTemporaryDirectory { dir in
            let base = try FineTuningTests.trainBase(in: dir)
            let text = dir.appendingPathComponent("new.txt")
            try Data(FineTuningTests.newText.utf8).write(to: text)
            let run = dir.path + "/tuned"
            let tuned = try runCharRNN([
                "train", text.path, "-o", run, "--init-from", base, "--no-auto", "--batch-size", "4", "--seq-length",
                "10", "--max-steps", "6", "--eval-every", "6", "--quiet",
            ])
            try #require(tuned.status == 0, "\(tuned.stderr)")
            let process = try runProgram(
                URL(fileURLWithPath: python),
                [
                    repositoryRoot.appendingPathComponent("tools/pytorch/check_checkpoint.py").path, "--compare",
                    "--charrnn", charrnnExecutable.path, "--tolerance", "1e-5", run + "/latest.safetensors", text.path,
                ], timeout: 600)
            #expect(process.status == 0, "\(process.stdout)\(process.stderr)")
            let report = try jsonObject(process.stdout)
            #expect(report["match"] as? Bool == true, "\(process.stdout)")
        }
    }
}
