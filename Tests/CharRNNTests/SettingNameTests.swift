// The library's settings as the CLI words them (Sources/CLI/SettingNames.swift): every setting a command takes is
// named by a flag one of the commands has, so no message sends a user to a flag that does not exist, and the
// library's errors reach the user with flags, never field names.
import Foundation
import Testing

@testable import CharRNN
@testable import charrnn

@Suite struct SettingNameTests {
    /// The long flags of `charrnn COMMAND`, from its `--experimental-dump-help`.
    static func flags(of command: String) throws -> Set<String> {
        let r = try runCharRNN([command, "--experimental-dump-help"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let arguments = (json["command"] as? [String: Any])?["arguments"] as? [[String: Any]] ?? []
        var flags = Set<String>()
        for argument in arguments {
            for name in argument["names"] as? [[String: String]] ?? [] where name["kind"] == "long" {
                flags.insert("--" + (name["name"] ?? ""))
            }
        }
        return flags
    }

    /// The settings no command takes: the vocabulary's size comes from the corpus, and the rest are fields of the
    /// server's requests.
    static let withoutFlags: Set<Setting> = [.vocabularySize, .choices, .maxTokens, .topLogprobs]

    @Test func everySettingACommandTakesIsNamedByAFlagItHas() throws {
        var flags = Set<String>()
        for command in ["train", "sample", "eval", "vocab"] { flags.formUnion(try Self.flags(of: command)) }
        for setting in Setting.allCases {
            if Self.withoutFlags.contains(setting) {
                #expect(!setting.flag.hasPrefix("--"), "\(setting)")
            } else {
                #expect(flags.contains(setting.flag), "\(setting) is named \(setting.flag), which no command has")
            }
        }
    }

    @Test func libraryErrorsReachTheUserWithFlags() {
        let setting = SettingError(.hiddenSize, .integer(0), .atLeast(1))
        #expect(setting.description == "hiddenSize must be at least 1, got 0")
        #expect(userMessage(setting) == "--hidden must be at least 1, got 0")
        let corpus = CorpusError.tooShortForBatch(tokens: 100, batchSize: 50, sequenceLength: 50)
        #expect(
            userMessage(corpus)
                == "corpus too short: the training split has 100 tokens, and --batch-size 50 × --seq-length 50 needs "
                + "at least 2501; give more text or lower them")
        #expect(
            userMessage(TrainingError.diverged(step: 7, .nonFiniteValidation))
                == "training diverged: the validation loss at step 7 is not finite; resume from the last checkpoint "
                + "with a lower --learning-rate or --grad-clip")
        let resume = ResumeError(
            checkpoint: "run/latest.safetensors",
            reason: TrainingOptionsError.parameterForOtherSchedule([.stepEvery, .stepFactor], .step))
        #expect(
            userMessage(resume)
                == "run/latest.safetensors: --lr-step-every and --lr-decay apply only to --lr-schedule step")
        // An error that names no setting keeps its own words.
        #expect(userMessage(CorpusError.noInput) == CorpusError.noInput.description)
    }
}
