// Learning-rate schedules: functions from the update number (0-based) to a multiple of the base rate.
import Foundation

/// How the learning rate changes over training.
public enum LearningRateSchedule: Codable, Sendable, Equatable {
    /// The base rate throughout.
    case constant
    /// Multiply by `factor` every `every` updates (char-rnn multiplies by 0.97 per epoch).
    case step(every: Int, factor: Double)
    /// Linear warm-up from 0 over `warmup` updates, then cosine decay to `minimumFactor` × base at `total`
    /// (nanoGPT's get_lr).
    case cosine(warmup: Int, total: Int, minimumFactor: Double)

    /// The multiple of the base learning rate for update `step` (0-based).
    public func factor(at step: Int) -> Double {
        switch self {
        case .constant:
            return 1
        case .step(let every, let factor):
            return every > 0 ? pow(factor, Double(step / every)) : 1
        case .cosine(let warmup, let total, let minimum):
            if step < warmup { return Double(step + 1) / Double(warmup) }
            if step >= total { return minimum }
            let progress = Double(step - warmup) / Double(max(1, total - warmup))
            return minimum + 0.5 * (1 - minimum) * (1 + cos(Double.pi * progress))
        }
    }
}
