// Validation, reports and metrics: the validation loss from a fresh state, the events `Trainer.run` reports
// (with the expected end from this process's pace), and one JSON line per evaluation in RUN_DIR/metrics.jsonl.
import Foundation

extension Trainer {
    /// Mean loss (nats per token) over the validation split (or its first `evaluationTokens`), from a zero state.
    public func validationLoss() -> Double? {
        guard let layout = validationLayout() else { return nil }
        let (b, t) = (layout.batchSize, layout.sequenceLength)
        let fresh = RecurrentState<Float>(config: model.config, batch: b)
        var inputs: [Int32] = []
        var targets: [Int32] = []
        var total = 0.0
        var unused = SplitMix64(seed: 0)
        for k in 0..<layout.batchesPerEpoch {
            layout.fill(batch: k, from: corpus.ids, inputs: &inputs, targets: &targets)
            total += model.run(
                inputs: inputs, targets: targets, steps: t, batch: b, state: fresh, train: false, rng: &unused)
        }
        return total / Double(layout.batchesPerEpoch)
    }

    /// How validation cuts the validation split (or its first `evaluationTokens`): up to B streams of T-step
    /// batches (fewer when the split is short), each stream from a zero state; nil when it is too short to score.
    func validationLayout() -> BatchLayout? {
        var range = split.validation
        if let n = config.evaluationTokens { range = range.lowerBound..<min(range.upperBound, range.lowerBound + n) }
        guard range.count >= 2 else { return nil }
        let t = min(config.sequenceLength, range.count - 1)
        let b = max(1, min(config.batchSize, (range.count - 1) / t))
        return try? BatchLayout(tokens: range, batchSize: b, sequenceLength: t)
    }

    /// Validates, writes `latest.safetensors` (and `best.safetensors` when the loss improved or there is no
    /// validation split) and a metrics line, and reports the evaluation.
    func evaluateAndSave(trainLoss: Double, rate: Double, norm: Double, report: (TrainingEvent) -> Void) throws {
        let validation = group.size > 1 ? try collectiveValidationLoss() : validationLoss()
        if let validation, !validation.isFinite {
            // Diverged weights: keep the last checkpoint on disk, which was written from finite ones.
            throw TrainingError.diverged(step: state.step, .nonFiniteValidation)
        }
        state.lastValidationLoss = validation
        let improved = validation.map { v in state.bestValidationLoss.map { v < $0 } ?? true } ?? false
        if improved { state.bestValidationLoss = validation }
        if config.patience != nil, validation != nil {
            state.validationsSinceBest = improved ? 0 : (state.validationsSinceBest ?? 0) + 1
        }
        let e = event(
            .evaluation, trainLoss: trainLoss, validation: validation, rate: rate, norm: norm,
            tokensPerSecond: Double(state.tokensSeen) / max(state.elapsedSeconds, 1e-9), elapsed: state.elapsedSeconds)
        if group.size > 1 {
            try checkReplicas()
            try saveCollectively(interrupted: false, best: improved || validation == nil, metrics: e)
        } else {
            let checkpoint = makeCheckpoint()
            try checkpoint.write(to: runDirectory + "/latest.safetensors")
            if improved || validation == nil { try checkpoint.write(to: runDirectory + "/best.safetensors") }
            try appendMetrics(e)
        }
        report(e)
    }

    /// The expected final step and the seconds until then, from this process's pace so far.
    private func remaining(elapsed: Double) -> (total: Int?, seconds: Double?) {
        let done = state.step - firstStepOfProcess
        let seconds = Date().timeIntervalSince(processStart)
        guard done > 0 && seconds > 0 else { return (totalSteps, nil) }
        let pace = Double(done) / seconds  // updates per second
        var total = totalSteps.map(Double.init)
        if let limit = config.maxSeconds {
            let byTime = Double(state.step) + pace * max(0, limit - elapsed)
            total = min(total ?? byTime, byTime)
        }
        guard let total else { return (nil, nil) }
        return (Int(total.rounded()), max(0, total - Double(state.step)) / pace)
    }

    /// A report of this run's position, with the figures given.
    func event(
        _ kind: TrainingEvent.Kind, trainLoss: Double, validation: Double?, rate: Double, norm: Double,
        tokensPerSecond: Double, elapsed: Double
    ) -> TrainingEvent {
        let (expected, secondsLeft) = remaining(elapsed: elapsed)
        return TrainingEvent(
            kind: kind, step: state.step, totalSteps: totalSteps, expectedTotalSteps: expected,
            secondsRemaining: secondsLeft,
            epoch: Double(state.epoch) + Double(state.batchInEpoch) / Double(layout.batchesPerEpoch),
            trainLoss: trainLoss,
            validationLoss: validation, learningRate: rate, gradientNorm: norm, tokensPerSecond: tokensPerSecond,
            elapsedSeconds: elapsed)
    }

    /// One JSON line per evaluation in RUN_DIR/metrics.jsonl.
    func appendMetrics(_ e: TrainingEvent) throws {
        var fields: [String: Any] = [
            "step": e.step, "epoch": e.epoch, "tokens": state.tokensSeen, "train_loss": e.trainLoss,
            "learning_rate": e.learningRate,
            "grad_norm": e.gradientNorm, "tokens_per_second": e.tokensPerSecond, "elapsed_seconds": e.elapsedSeconds,
        ]
        if let v = e.validationLoss {
            fields["val_loss"] = v
            fields["val_bits_per_token"] = v / log(2)
        }
        var line = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
        line.append(0x0A)
        let path = runDirectory + "/metrics.jsonl"
        if !FileManager.default.fileExists(atPath: path) && !FileManager.default.createFile(atPath: path, contents: nil)
        {
            throw FileWriteError(path: path, reason: "cannot create it")
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw FileWriteError(path: path, reason: "cannot open for appending")
        }
        defer { try? handle.close() }
        // The throwing calls: the older write(_:) traps on a full disk instead of reporting it.
        do {
            try handle.seekToEnd()
            try handle.write(contentsOf: line)
        } catch {
            throw FileWriteError(path: path, reason: error.localizedDescription)
        }
    }
}
