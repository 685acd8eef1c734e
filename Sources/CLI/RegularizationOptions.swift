// `charrnn train`'s regularisation flags (README: Getting good results), mapped onto TrainingOptions.
import ArgumentParser
import CharRNN

extension DropoutMasks: ExpressibleByArgument {}

struct RegularizationOptions: ParsableArguments {
    @Option(help: "Dropout between recurrent layers, in [0, 1). (default: 0)") var dropout: Double?
    @Option(help: "Dropout on the embedding's output, the first layer's input. (default: 0)") var inputDropout: Double?
    @Option(help: "Dropout on the last layer's output, the decoder's input. (default: 0)") var outputDropout: Double?
    @Option(
        help: ArgumentHelp(
            "DropConnect on every layer's recurrent weights W_hh, one mask per update (AWD-LSTM). (default: 0)",
            valueName: "p"))
    var weightDrop: Double?
    @Option(help: ArgumentHelp("Drop whole embedding rows per update. (default: 0)", valueName: "p"))
    var embeddingDropout: Double?
    @Option(
        help: ArgumentHelp(
            "Dropout masks: locked (one per stream, the same at every step) or elementwise. (default: locked)",
            valueName: "locked|elementwise"))
    var dropoutMasks: DropoutMasks?

    /// These flags set on `options`.
    func apply(to options: inout TrainingOptions) {
        options.dropout = dropout
        (options.inputDropout, options.outputDropout) = (inputDropout, outputDropout)
        (options.weightDrop, options.embeddingDropout, options.dropoutMasks) = (
            weightDrop, embeddingDropout, dropoutMasks
        )
    }
}
