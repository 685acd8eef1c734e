// One update of the training loop, in two halves around the clipping: forward and backward on this process's
// part of the batch (with the gradients summed over the processes when there are several), then the optimizer's
// step and the run's position moving on. Trainer.run calls them in order.
import Foundation

extension Trainer {
    /// Runs the forward and backward pass on the next batch: fills the model's gradients (summed over every process
    /// when there are several) and returns the batch's mean loss in nats per token.
    ///
    /// - Parameter stop: whether this process was asked to stop; with several processes the request travels with
    ///   the gradients, so every rank learns of any rank's in the same update.
    /// - Returns: the loss, or nil when several processes decided together to stop (nothing was applied).
    func forwardBackward(stop: Bool) throws -> Double? {
        let distributed = group.size > 1
        let computeStart = DispatchTime.now().uptimeNanoseconds
        layout.fill(
            batch: state.batchInEpoch, rows: part.streams, from: corpus.ids, inputs: &inputs, targets: &targets)
        model.parameters.zeroGradients(threads: threads)
        let loss = model.run(
            inputs: inputs, targets: targets, steps: config.sequenceLength, batch: part.streams.count, state: hidden,
            train: true, rng: &rng, part: distributed ? part : nil)
        if let afterBackward {
            let g = model.parameters.gradients
            afterBackward(state.step, UnsafeMutableBufferPointer(start: g.pointer, count: g.count))
        }
        guard distributed else { return loss }
        let reduceStart = DispatchTime.now().uptimeNanoseconds
        let (total, stopped) = try exchange(loss: loss, stop: stop)
        let reduceEnd = DispatchTime.now().uptimeNanoseconds
        timing.compute += Double(reduceStart - computeStart) * 1e-9
        timing.reduce += Double(reduceEnd - reduceStart) * 1e-9
        timing.updates += 1
        return stopped ? nil : total
    }

    /// Applies the optimizer to the (clipped) gradients at `learningRate` and moves the run on by one batch: the
    /// step, the tokens seen, the position in the epoch (every stream starts over at an epoch's end) and the
    /// generator's state. With several processes, compares the replicas every `replicaCheckInterval` updates.
    func apply(learningRate: Double) throws {
        optimizer.update(
            parameters: model.parameters.values, gradients: model.parameters.gradients, learningRate: learningRate,
            threads: threads)
        state.step += 1
        state.tokensSeen += config.batchSize * config.sequenceLength
        state.batchInEpoch += 1
        if state.batchInEpoch == layout.batchesPerEpoch {
            state.batchInEpoch = 0
            state.epoch += 1
            hidden.reset()  // every stream starts over from its beginning
        }
        state.rngState = rng.state
        if let afterUpdate {
            let p = model.parameters.values
            afterUpdate(state.step, UnsafeMutableBufferPointer(start: p.pointer, count: p.count))
        }
        if group.size > 1 && state.step % replicaCheckInterval == 0 { try checkReplicas() }
    }

    /// Writes `latest.safetensors` for a run stopped by a request, without validating: the state after the last
    /// update applied. With several processes every rank takes part and rank 0 writes.
    func saveInterrupted() throws {
        if group.size > 1 {
            try saveCollectively(interrupted: true)
        } else {
            try makeCheckpoint().write(to: runDirectory + "/latest.safetensors")
        }
    }
}
