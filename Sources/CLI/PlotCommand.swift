// `charrnn plot`: draw a run's training and validation loss as an SVG.
import ArgumentParser
import CharRNN

struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Plot a run's training and validation loss (against steps and against time) as an SVG.",
        discussion: "Reads RUN_DIR/metrics.jsonl. `charrnn train` writes RUN_DIR/loss.svg itself when it ends.")

    @Argument(help: ArgumentHelp("The run directory (holding metrics.jsonl).", valueName: "run-dir")) var runDirectory:
        String
    @Option(
        name: [.customShort("o"), .customLong("output")],
        help: ArgumentHelp("Where to write the SVG (default: RUN_DIR/loss.svg).", valueName: "file"))
    var output: String?

    func run() throws {
        let path = try reportingFailures { try LossPlot.write(runDirectory: runDirectory, to: output) }
        print(path)
    }
}
