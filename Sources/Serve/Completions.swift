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
        let created = Int(arrived.timeIntervalSince1970)
        if parameters.logprobs != nil {
            guard parameters.echo && parameters.maxTokens == 0 else {
                throw APIError.invalid(
                    "logprobs is supported for scoring a prompt only: with echo true and max_tokens 0",
                    param: "logprobs")
            }
            return try await score(prompts, texts: parameters.prompts, model: model, id: id, created: created)
        }
        var system = SystemRandomNumberGenerator()
        let seed = parameters.seed ?? system.next()
        let (events, continuation) = AsyncStream<(prompt: Int, event: GenerationEvent)>.makeStream()
        var tickets: [GenerationTicket] = []
        for (p, ids) in prompts.enumerated() {
            let job = GenerationRequest(
                prompt: ids, maxTokens: parameters.maxTokens, sampling: parameters.sampling, seed: seed,
                choices: parameters.n, stop: parameters.stop)
            do {
                tickets.append(try model.engine.submit(job) { continuation.yield((p, $0)) })
            } catch {
                tickets.forEach { $0.cancel() }
                throw APIError(error)
            }
        }
        let run = Run(
            id: id, created: created, model: model.id, n: parameters.n, prompts: parameters.prompts,
            promptTokens: prompts.reduce(0) { $0 + $1.count }, echo: parameters.echo, arrived: arrived,
            metrics: metrics, tickets: tickets)
        if parameters.stream { return run.streamed(events) }
        return try await run.collected(events)
    }

    /// echo + logprobs 0 + max_tokens 0: each prompt's tokens with their log-probabilities (the first has none),
    /// as `charrnn eval --per-token` computes them.
    private func score(
        _ prompts: [[Int]], texts: [String], model: LoadedModel, id: String, created: Int
    ) async throws -> Response {
        let vocabulary = model.checkpoint.vocabulary
        var choices: [JSONOut] = []
        for (p, ids) in prompts.enumerated() {
            let nats: [Double] = try await withCheckedThrowingContinuation { done in
                do throws(EngineError) {
                    try model.engine.score(ids) { done.resume(returning: $0) }
                } catch {
                    done.resume(throwing: APIError(error))
                }
            }
            var offsets: [JSONOut] = []
            var offset = 0
            for token in ids {
                offsets.append(.int(offset))
                offset += vocabulary.decode([token]).unicodeScalars.count
            }
            let logprobs: JSONOut = .object([
                ("tokens", .array(ids.map { .string(vocabulary.decode([$0])) })),
                ("token_logprobs", .array(ids.indices.map { $0 == 0 ? .null : .double(-nats[$0 - 1]) })),
                ("top_logprobs", .null), ("text_offset", .array(offsets)),
            ])
            choices.append(
                .object([
                    ("text", .string(texts[p])), ("index", .int(p)), ("logprobs", logprobs),
                    ("finish_reason", .string("length")),
                ]))
        }
        let promptTokens = prompts.reduce(0) { $0 + $1.count }
        return jsonResponse(
            .object([
                ("id", .string(id)), ("object", .string("text_completion")), ("created", .int(created)),
                ("model", .string(model.id)), ("choices", .array(choices)),
                (
                    "usage",
                    .object([
                        ("prompt_tokens", .int(promptTokens)), ("completion_tokens", .int(0)),
                        ("total_tokens", .int(promptTokens)),
                    ])
                ),
            ]))
    }
}

/// One completions request in flight: its events turned into a response.
private struct Run: Sendable {
    let id: String
    let created: Int
    let model: String
    let n: Int
    let prompts: [String]
    let promptTokens: Int
    let echo: Bool
    let arrived: Date
    let metrics: ServerMetrics
    let tickets: [GenerationTicket]

    var choiceCount: Int { prompts.count * n }

    /// Waits for every choice and answers with them all.
    func collected(_ events: AsyncStream<(prompt: Int, event: GenerationEvent)>) async throws -> Response {
        var texts = (0..<choiceCount).map { echo ? prompts[$0 / n] : "" }
        var reasons = [FinishReason?](repeating: nil, count: choiceCount)
        var completionTokens = 0
        var first = true
        for await (p, event) in events {
            switch event {
            case .text(let choice, let text):
                if first {
                    metrics.firstToken(after: Date().timeIntervalSince(arrived))
                    first = false
                }
                texts[p * n + choice] += text
            case .finished(let choice, let reason, let tokens):
                reasons[p * n + choice] = reason
                completionTokens += tokens
            case .cancelled:
                tickets.forEach { $0.cancel() }
                throw APIError(EngineError.shuttingDown)
            }
            if !reasons.contains(nil) { break }
        }
        let choices: [JSONOut] = (0..<choiceCount).map {
            .object([
                ("text", .string(texts[$0])), ("index", .int($0)), ("logprobs", .null),
                ("finish_reason", .string((reasons[$0] ?? .length).rawValue)),
            ])
        }
        return jsonResponse(
            .object([
                ("id", .string(id)), ("object", .string("text_completion")), ("created", .int(created)),
                ("model", .string(model)), ("choices", .array(choices)),
                (
                    "usage",
                    .object([
                        ("prompt_tokens", .int(promptTokens)), ("completion_tokens", .int(completionTokens)),
                        ("total_tokens", .int(promptTokens + completionTokens)),
                    ])
                ),
            ]))
    }

    /// Server-sent events: a chunk per piece of text (each valid UTF-8), one with each choice's finish_reason,
    /// then `data: [DONE]`. A client that goes away cancels the request at the next step.
    func streamed(_ events: AsyncStream<(prompt: Int, event: GenerationEvent)>) -> Response {
        let run = self
        let body = ResponseBody { writer in
            func chunk(_ choice: Int, text: String, finish: FinishReason?) -> ByteBuffer {
                let json: JSONOut = .object([
                    ("id", .string(run.id)), ("object", .string("text_completion")), ("created", .int(run.created)),
                    ("model", .string(run.model)),
                    (
                        "choices",
                        .array([
                            .object([
                                ("text", .string(text)), ("index", .int(choice)), ("logprobs", .null),
                                ("finish_reason", finish.map { .string($0.rawValue) } ?? .null),
                            ])
                        ])
                    ),
                ])
                return ByteBuffer(string: "data: \(json.rendered)\n\n")
            }
            do {
                if run.echo {
                    for c in 0..<run.choiceCount where !run.prompts[c / run.n].isEmpty {
                        try await writer.write(chunk(c, text: run.prompts[c / run.n], finish: nil))
                    }
                }
                var finished = 0
                var first = true
                for await (p, event) in events {
                    switch event {
                    case .text(let choice, let text):
                        if first {
                            run.metrics.firstToken(after: Date().timeIntervalSince(run.arrived))
                            first = false
                        }
                        try await writer.write(chunk(p * run.n + choice, text: text, finish: nil))
                    case .finished(let choice, let reason, _):
                        try await writer.write(chunk(p * run.n + choice, text: "", finish: reason))
                        finished += 1
                    case .cancelled:
                        run.tickets.forEach { $0.cancel() }
                        let error = APIError(EngineError.shuttingDown)
                        try await writer.write(ByteBuffer(string: "data: \(error.body.rendered)\n\n"))
                        finished = run.choiceCount
                    }
                    if finished == run.choiceCount { break }
                }
                try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                try await writer.finish(nil)
            } catch {
                run.tickets.forEach { $0.cancel() }  // the client went away: free its streams
                throw error
            }
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: body)
    }
}
