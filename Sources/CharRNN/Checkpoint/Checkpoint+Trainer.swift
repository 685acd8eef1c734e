// A training run as a checkpoint and back: everything `Trainer` needs to continue exactly (weights, optimizer
// moments, carried state of all B streams, the run's position and its generator), and the checks that a checkpoint
// fits the run it continues.

extension Trainer {
    /// The complete state of this run as a checkpoint (for one process; with several, rank 0's checkpoint holds
    /// every rank's streams, see `saveCollectively`).
    public func makeCheckpoint() -> Checkpoint { makeCheckpoint(state: hidden) }

    /// The checkpoint with `carried` as the state of all B streams.
    func makeCheckpoint(state carried: RecurrentState<Float>) -> Checkpoint {
        var c = Checkpoint(
            model: model.config, vocabulary: corpus.vocabulary, training: config, state: state,
            optimizerStep: optimizer.step)
        let p = model.parameters
        for view in p.views {
            c.add(
                view.name, shape: view.shape,
                values: Array(UnsafeBufferPointer(start: p.values.pointer + view.offset, count: view.count)))
        }
        for (prefix, buffer) in [("optimizer.first.", optimizer.first), ("optimizer.second.", optimizer.second)]
        where buffer.count > 0 {
            for view in p.views {
                c.add(
                    prefix + view.name, shape: view.shape,
                    values: Array(UnsafeBufferPointer(start: buffer.pointer + view.offset, count: view.count)))
            }
        }
        for k in 0..<model.config.layers {
            c.add("state.hidden_l\(k)", shape: [carried.batch, carried.hiddenSize], values: carried.hidden[k].array)
            if model.config.cell.hasCellState {
                c.add("state.cell_l\(k)", shape: [carried.batch, carried.hiddenSize], values: carried.cell[k].array)
            }
        }
        return c
    }

    /// Continues the run `c` holds: its weights, optimizer moments and step, this process's streams' carried
    /// state, the run's position and the generator's state.
    func restore(_ c: Checkpoint) throws {
        guard c.model == model.config else {
            throw TrainingError.modelMismatch(given: model.config, checkpoint: c.model)
        }
        guard c.vocabulary == corpus.vocabulary else { throw TrainingError.vocabularyMismatch }
        guard c.hasOptimizerState || config.optimizer.kind == .sgd && config.optimizer.momentum == 0 else {
            throw TrainingError.weightsOnly
        }
        let p = model.parameters
        for view in p.views {
            (p.values.pointer + view.offset).update(from: c.tensors[view.name]!, count: view.count)
            if optimizer.first.count > 0, let m = c.tensors["optimizer.first." + view.name] {
                (optimizer.first.pointer + view.offset).update(from: m, count: view.count)
            }
            if optimizer.second.count > 0, let v = c.tensors["optimizer.second." + view.name] {
                (optimizer.second.pointer + view.offset).update(from: v, count: view.count)
            }
        }
        // The checkpoint holds all B streams' state; this process takes its own (all of them when alone). A
        // checkpoint written by any number of ranks resumes on any number.
        let rows = part.streams.lowerBound * model.config.hiddenSize..<part.streams.upperBound * model.config.hiddenSize
        for k in 0..<model.config.layers {
            if let h = c.tensors["state.hidden_l\(k)"], h.count == part.batch * model.config.hiddenSize {
                hidden.hidden[k].pointer.update(from: Array(h[rows]), count: rows.count)
            }
            if let s = c.tensors["state.cell_l\(k)"], s.count == part.batch * model.config.hiddenSize {
                hidden.cell[k].pointer.update(from: Array(s[rows]), count: rows.count)
            }
        }
        optimizer.step = c.optimizerStep
        state = c.state
        rng = SplitMix64(seed: 0)
        rng.state = c.state.rngState
    }
}
