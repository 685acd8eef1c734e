// POST /v1/completions: checked parameters → one engine request per prompt → a JSON body, or server-sent events
// as the text is generated. Choice i·n + j is prompt i's j-th continuation, as in OpenAI's API.
import CharRNN
import Foundation
import Hummingbird

/// What the completions endpoint needs from the server.
struct CompletionService: Sendable {
    let models: [String: LoadedModel]
    let limits: RequestLimits
    let metrics: ServerMetrics
    /// The shortest time between hand-offs of a request's events to its handler, in seconds (`EventBatches`).
    var streamInterval = Self.defaultStreamInterval
    /// Default 10 ms: a hundred chunks a second at most, smooth to the eye, and on 2 cores 32 streaming clients get
    /// 1.5–1.9× the tokens/s they get with a chunk per step (BENCHMARKS.md, "Serving").
    static let defaultStreamInterval = 0.010

    func handle(_ request: Request, context: some RequestContext) async throws -> Response {
        let arrived = Date()
        var request = request
        let bytes = try await request.collectBody(upTo: limits.bodyBytes)
        guard let body = JSONValue.parse(Array(bytes.readableBytesView)) else {
            throw APIError.invalid("the request body is not valid JSON", param: nil)
        }
        let parameters = try CompletionParameters(body, limits: limits)
        guard let model = models[parameters.model] else {
            let names = models.keys.sorted().joined(separator: ", ")
            throw APIError.invalid("no model named \"\(parameters.model)\"; this server has: \(names)", param: "model")
        }
        let vocabulary = model.checkpoint.vocabulary
        var prompts: [[Int]] = []
        var texts: [String] = []
        for prompt in parameters.prompts {
            let ids: [Int]
            switch prompt {
            case .text(let text):
                guard let encoded = try? vocabulary.encode(text).ids else {
                    throw APIError.invalid("the prompt cannot be tokenized", param: "prompt")
                }
                ids = encoded
                texts.append(text)
            case .tokens(let tokens):
                if let bad = tokens.first(where: { !vocabulary.tokens.indices.contains($0) }) {
                    throw APIError.invalid(
                        "prompt token id \(bad) is outside the model's vocabulary (0 to \(vocabulary.count - 1))",
                        param: "prompt")
                }
                ids = tokens
                texts.append(vocabulary.decode(tokens))
            }
            guard ids.count <= limits.promptTokens else {
                throw APIError.invalid(
                    "the prompt has \(ids.count) tokens; this server takes at most \(limits.promptTokens)",
                    param: "prompt")
            }
            prompts.append(ids)
        }
        let id = "cmpl-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        // echo + logprobs: the prompt's own tokens come first, scored as `charrnn eval --per-token` scores them.
        let top = parameters.logprobs ?? 0
        var promptLogprobs: [TokenLogprobs]? = nil
        if parameters.logprobs != nil && parameters.echo {
            promptLogprobs = []
            for ids in prompts {
                let predictions = try await score(ids, top: top, model: model)
                var scored = TokenLogprobs()
                for (i, id) in ids.enumerated() {
                    if i == 0 {  // nothing predicts the first
                        scored.append(token: vocabulary.decode([id]), logprob: nil, alternatives: .null)
                    } else {
                        scored.append(
                            id, logprob: predictions[i - 1].logprob, top: predictions[i - 1].top, in: vocabulary)
                    }
                }
                promptLogprobs!.append(scored)
            }
        }
        var system = SystemRandomNumberGenerator()
        let seed = parameters.seed ?? system.next()
        let events = EventBatches(interval: streamInterval)
        var tickets: [GenerationTicket] = []
        for (p, ids) in prompts.enumerated() {
            let job = GenerationRequest(
                prompt: ids, maxTokens: parameters.maxTokens, sampling: parameters.sampling, seed: seed,
                choices: parameters.n, stop: parameters.stop, logprobs: parameters.logprobs != nil, topLogprobs: top)
            do {
                tickets.append(try model.engine.submit(job) { events.push((p, $0)) })
            } catch {
                tickets.forEach { $0.cancel() }
                throw APIError(error)
            }
        }
        let run = CompletionRun(
            id: id, created: Int(arrived.timeIntervalSince1970), model: model.id, vocabulary: vocabulary,
            n: parameters.n, prompts: texts, promptTokens: prompts.reduce(0) { $0 + $1.count },
            echo: parameters.echo, logprobs: parameters.logprobs, promptLogprobs: promptLogprobs,
            arrived: arrived, metrics: metrics, tickets: tickets)
        if parameters.stream { return run.streamed(events) }
        return try await run.collected(events)
    }

    /// What the model predicted for each of `ids`' tokens after the first (its log-probability and the `top`
    /// most likely), computed on the model's prefill thread.
    private func score(_ ids: [Int], top: Int, model: LoadedModel) async throws -> [TokenPrediction] {
        try await withCheckedThrowingContinuation { done in
            do throws(EngineError) {
                try model.engine.score(ids, top: top) { done.resume(returning: $0) }
            } catch {
                done.resume(throwing: APIError(error))
            }
        }
    }
}
