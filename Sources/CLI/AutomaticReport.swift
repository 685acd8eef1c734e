// How `charrnn train` and `charrnn info` word what the automatic settings chose (AutomaticChoice): why, in one
// line, and the flags that repeat the run without choosing again.
import CharRNN
import Foundation

extension AutomaticChoice {
    /// Why: "for 107,991 training tokens and 300 s: 1,650 updates of 0.172 s fit (timed in 4.1 s), 76.4 epochs".
    var reason: String {
        let budgetWords: String
        switch budget {
        case .updates(let u): budgetWords = "\(u.grouped) updates"
        case .seconds(let s):
            let timed = secondsPerUpdate.map { String(format: " of %.3f s", $0) } ?? ""
            let spent = measuringSeconds.map { String(format: " (timed in %.1f s)", $0) } ?? ""
            budgetWords =
                "\(Self.seconds(s))\(defaultBudget ? " (the default budget)" : ""): \(updates.grouped) "
                + "update\(updates == 1 ? "" : "s")\(timed) fit\(spent)"
        }
        return "for \(trainingTokens.grouped) training tokens and \(budgetWords), "
            + String(format: "%.1f epochs", epochs)
    }

    /// The chosen settings as flags with their values in `model` and `training`.
    func flags(model: ModelConfig, training: TrainingConfig) -> [String] {
        chosen.flatMap { setting -> [String] in
            guard let value = Self.value(of: setting, model: model, training: training) else { return [] }
            return [setting.flag, value]
        }
    }

    private static func seconds(_ s: Double) -> String {
        s == s.rounded() ? "\(Int(s)) s" : String(format: "%.1f s", s)
    }

    /// A setting's value as its flag takes it.
    static func value(of setting: Setting, model: ModelConfig, training: TrainingConfig) -> String? {
        let r = training.effectiveRegularization
        func number(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e9 ? "\(Int(x))" : "\(x)" }
        switch setting {
        case .cell: return model.cell.rawValue
        case .layers: return "\(model.layers)"
        case .hiddenSize: return "\(model.hiddenSize)"
        case .embeddingSize: return "\(model.embeddingSize)"
        case .dropout: return number(model.dropout)
        case .batchSize: return "\(training.batchSize)"
        case .sequenceLength: return "\(training.sequenceLength)"
        case .learningRate: return "\(training.optimizer.learningRate)"
        case .inputDropout: return number(r.inputDropout)
        case .outputDropout: return number(r.outputDropout)
        case .weightDrop: return number(r.weightDrop)
        case .embeddingDropout: return number(r.embeddingDropout)
        case .evaluateEvery: return "\(training.evaluateEvery)"
        case .evaluationTokens: return training.evaluationTokens.map(String.init)
        case .maxSeconds: return training.maxSeconds.map(number)
        case .patience: return training.patience.map(String.init)
        case .schedule, .warmupSteps, .decaySteps, .minimumFactor:
            guard case .cosine(let warmup, let total, let minimum) = training.schedule else {
                return setting == .schedule ? TrainingOptions.ScheduleKind.constant.rawValue : nil
            }
            switch setting {
            case .schedule: return "cosine"
            case .warmupSteps: return "\(warmup)"
            case .decaySteps: return "\(total)"
            default: return number(minimum)
            }
        default: return nil
        }
    }
}

/// `arguments` as a shell would need them typed: each quoted unless it is plain.
func shellWords(_ arguments: [String]) -> String {
    arguments.map { word in
        let plain = !word.isEmpty && word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }
        return plain ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }.joined(separator: " ")
}
