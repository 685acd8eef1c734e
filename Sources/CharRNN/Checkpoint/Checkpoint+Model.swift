// Building a model from a checkpoint's tensors.

extension CharRNNModel where T == Float {
    /// A model holding the weights of `checkpoint` (already validated by `Checkpoint.read`), running on `threads`
    /// threads.
    public convenience init(checkpoint: Checkpoint, threads: Int = 1) {
        self.init(config: checkpoint.model, threads: threads)
        for view in parameters.views {
            (parameters.values.pointer + view.offset).update(from: checkpoint.tensors[view.name]!, count: view.count)
        }
    }
}
