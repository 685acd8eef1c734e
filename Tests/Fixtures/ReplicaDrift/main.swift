// replica-drift: a test fixture, not part of charrnn. Under mpirun it trains as `charrnn train` does with
// MPITests.flags("lstm", steps: 60), but one rank nudges its first parameter after one update, as a hardware fault
// would; the replica check must stop the run at its next comparison (MPIFaultTests.driftingReplicasStopTheRun).
// The fault is injected through the library's `Trainer.afterUpdate`, so charrnn itself holds no test hook.
//
//   mpirun … replica-drift CORPUS RUN_DIR RANK STEP
import CharRNN
import Foundation

let arguments = CommandLine.arguments.dropFirst()
guard arguments.count == 4, let rank = Int(arguments[3]), let step = Int(arguments[4]) else {
    FileHandle.standardError.write(Data("usage: replica-drift CORPUS RUN_DIR RANK STEP\n".utf8))
    exit(2)
}
let (corpus, runDirectory) = (arguments[1], arguments[2])
var options = TrainingOptions()
(options.cell, options.hiddenSize, options.embeddingSize, options.dropout) = (.lstm, 32, 8, 0.1)
(options.batchSize, options.sequenceLength, options.seed) = (8, 16, 5)
(options.maxSteps, options.evaluateEvery, options.evaluationTokens) = (60, 25, 4000)
(options.schedule, options.warmupSteps, options.decaySteps) = (.cosine, 10, 100)

var group = ProcessGroup.single
do {
    group = try ProcessGroup.joinIfLaunched()
    let setup = try TrainingSetup(
        options: options, resume: nil, text: { try TextSource(paths: [corpus]) }, tokenizer: TokenizerConfig(),
        group: group)
    let trainer = try setup.makeTrainer(runDirectory: runDirectory, threads: 1)
    trainer.afterUpdate = { updates, parameters in
        if group.rank == rank && updates == step { parameters[0] += 1e-3 }
    }
    _ = try trainer.run(report: { _ in })
    group.finish()
    exit(0)
} catch {
    if group.isRoot { FileHandle.standardError.write(Data("replica-drift: error: \(error)\n".utf8)) }
    group.finish()
    exit(1)
}
