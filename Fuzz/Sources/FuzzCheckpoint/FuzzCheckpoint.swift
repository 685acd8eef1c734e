// Fuzzes the checkpoint loader: any bytes must decode to a checkpoint or give a CheckpointError, never trap;
// a checkpoint that decodes must build a model that runs a step.
import CharRNN

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCheckpoint(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let checkpoint = try? Checkpoint.decode(bytes, path: "fuzz-input") else { return 0 }
    let model = CharRNNModel<Float>(checkpoint: checkpoint)
    let state = RecurrentState<Float>(config: model.config, batch: 1)
    let token: [Int32] = [Int32(model.config.vocabularySize - 1)]
    _ = token.withUnsafeBufferPointer { model.logits(inputs: $0, steps: 1, batch: 1, state: state) }
    return 0
}
