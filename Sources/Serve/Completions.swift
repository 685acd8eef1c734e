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
        for text in parameters.prompts {
            guard let ids = try? vocabulary.encode(text).ids else {
                throw APIError.invalid("the prompt cannot be tokenized", param: "prompt")
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
        var promptLogprobs: [TokenLogprobs]? = nil
        if parameters.logprobs != nil && parameters.echo {
            promptLogprobs = []
            for ids in prompts {
                let nats = try await score(ids, model: model)
                promptLogprobs!.append(
                    TokenLogprobs(
                        tokens: ids.map { vocabulary.decode([$0]) },
                        logprobs: ids.indices.map { $0 == 0 ? nil : -nats[$0 - 1] }))
            }
        }
        var system = SystemRandomNumberGenerator()
        let seed = parameters.seed ?? system.next()
        let (events, continuation) = AsyncStream<(prompt: Int, event: GenerationEvent)>.makeStream()
        var tickets: [GenerationTicket] = []
        for (p, ids) in prompts.enumerated() {
            let job = GenerationRequest(
                prompt: ids, maxTokens: parameters.maxTokens, sampling: parameters.sampling, seed: seed,
                choices: parameters.n, stop: parameters.stop, logprobs: parameters.logprobs != nil)
            do {
                tickets.append(try model.engine.submit(job) { continuation.yield((p, $0)) })
            } catch {
                tickets.forEach { $0.cancel() }
                throw APIError(error)
            }
        }
        let run = CompletionRun(
            id: id, created: Int(arrived.timeIntervalSince1970), model: model.id, vocabulary: vocabulary,
            n: parameters.n, prompts: parameters.prompts, promptTokens: prompts.reduce(0) { $0 + $1.count },
            echo: parameters.echo, logprobs: parameters.logprobs != nil, promptLogprobs: promptLogprobs,
            arrived: arrived, metrics: metrics, tickets: tickets)
        if parameters.stream { return run.streamed(events) }
        return try await run.collected(events)
    }

    /// The surprisal in nats of each of `ids`' tokens after the first, computed on the model's engine thread.
    private func score(_ ids: [Int], model: LoadedModel) async throws -> [Double] {
        try await withCheckedThrowingContinuation { done in
            do throws(EngineError) {
                try model.engine.score(ids) { done.resume(returning: $0) }
            } catch {
                done.resume(throwing: APIError(error))
            }
        }
    }
}
