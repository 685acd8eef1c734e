// `charrnn export`: a weights-only copy of a checkpoint, for sampling, evaluating and sharing.
import ArgumentParser
import CharRNN
import Foundation

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract:
            "Write a checkpoint's weights only (no optimizer state): a third of the size, for sampling and sharing.",
        discussion: """
            The copy keeps the model, vocabulary and training metadata, so `sample`, `eval`, `info` and PyTorch's \
            load_state_dict read it as they read any checkpoint; it cannot be resumed.
            """)

    @Argument(help: ArgumentHelp("The checkpoint to export.", valueName: "checkpoint")) var checkpoint: String
    @Option(
        name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("The file to write.", valueName: "file"))
    var output: String

    func run() throws {
        let c = try reportingFailures { try Checkpoint.read(from: checkpoint) }
        try reportingFailures { try c.weightsOnly().write(to: output) }
        let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        print("\(output): \(size.grouped) bytes")
    }
}
