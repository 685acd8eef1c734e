// One completions request in flight: the engine's events turned into OpenAI's answer, whole or as server-sent
// events, with the tokens' log-probabilities when asked for.
import CharRNN
import Foundation
import Hummingbird

/// Tokens and their log-probabilities, as a choice's `logprobs` object reports them.
struct TokenLogprobs: Sendable {
    var tokens: [String] = []
    /// nil for a token nothing predicts (a prompt's first).
    var logprobs: [Double?] = []
    /// Each token's `top_logprobs` entry (`Vocabulary.alternatives`, or null where nothing predicts it).
    var alternatives: [JSONOut] = []

    mutating func append(token: String, logprob: Double?, alternatives entry: JSONOut) {
        tokens.append(token)
        logprobs.append(logprob)
        alternatives.append(entry)
    }

    /// Moves `other`'s tokens to the end of these.
    mutating func take(_ other: inout TokenLogprobs) {
        tokens += other.tokens
        logprobs += other.logprobs
        alternatives += other.alternatives
        other = TokenLogprobs()
    }

    /// Appends a predicted token: its text, its log-probability and its `top_logprobs` entry.
    mutating func append(_ id: Int, logprob: Double, top: [RankedToken], in vocabulary: Vocabulary) {
        append(
            token: vocabulary.decode([id]), logprob: logprob,
            alternatives: vocabulary.alternatives(top, chosen: id, logprob: logprob))
    }

    /// The object, with `text_offset` counted in Unicode code points from `offset` and `top_logprobs` only when
    /// alternatives were asked for (`logprobs` above 0); also returns the offset after the last token.
    func json(from offset: Int, alternatives asked: Bool) -> (JSONOut, end: Int) {
        var offsets: [JSONOut] = []
        var at = offset
        for token in tokens {
            offsets.append(.int(at))
            at += token.unicodeScalars.count
        }
        let object: JSONOut = .object([
            ("tokens", .array(tokens.map { .string($0) })),
            ("token_logprobs", .array(logprobs.map { $0.map { .double($0) } ?? .null })),
            ("top_logprobs", asked ? .array(alternatives) : .null), ("text_offset", .array(offsets)),
        ])
        return (object, at)
    }
}

extension Vocabulary {
    /// One position's `top_logprobs` entry, as OpenAI writes it: an object from each of the most likely tokens
    /// to its log-probability, most likely first, and the chosen token's after them when it is not among them
    /// (so up to logprobs + 1 entries).
    func alternatives(_ top: [RankedToken], chosen: Int, logprob: Double) -> JSONOut {
        var entries = top.map { (decode([$0.id]), JSONOut.double($0.logprob)) }
        if !top.contains(where: { $0.id == chosen }) { entries.append((decode([chosen]), .double(logprob))) }
        return .object(entries)
    }
}

struct CompletionRun: Sendable {
    let id: String
    let created: Int
    let model: String
    let vocabulary: Vocabulary
    let n: Int
    let prompts: [String]
    let promptTokens: Int
    let echo: Bool
    /// The request's `logprobs`: nil for none, 0 for each token's own, 1 to 5 for alternatives too.
    let logprobs: Int?
    /// With echo and logprobs, each prompt's tokens and their log-probabilities.
    let promptLogprobs: [TokenLogprobs]?
    let arrived: Date
    let metrics: ServerMetrics
    let tickets: [GenerationTicket]

    var choiceCount: Int { prompts.count * n }

    /// A choice's log-probabilities to begin with: its prompt's, with echo.
    func initialLogprobs(_ choice: Int) -> TokenLogprobs { promptLogprobs?[choice / n] ?? TokenLogprobs() }

    /// Waits for every choice and answers with them all.
    func collected(_ events: EventBatches) async throws -> Response {
        var texts = (0..<choiceCount).map { echo ? prompts[$0 / n] : "" }
        var tokens = (0..<choiceCount).map(initialLogprobs)
        var reasons = [FinishReason?](repeating: nil, count: choiceCount)
        var completionTokens = 0
        var first = true
        let tickets = tickets
        // A handler cancelled while it waits (the server stopping) cancels its request; the engine says so next.
        while reasons.contains(nil) {
            for (p, event) in await withTaskCancellationHandler(
                operation: { await events.next() }, onCancel: { tickets.forEach { $0.cancel() } })
            {
                switch event {
                case .token(let choice, let token, let logprob, let top):
                    tokens[p * n + choice].append(token, logprob: logprob, top: top, in: vocabulary)
                case .text(let choice, let text):
                    if first {
                        metrics.firstToken(after: Date().timeIntervalSince(arrived))
                        first = false
                    }
                    texts[p * n + choice] += text
                case .finished(let choice, let reason, let count):
                    reasons[p * n + choice] = reason
                    completionTokens += count
                case .cancelled:
                    tickets.forEach { $0.cancel() }
                    throw APIError(EngineError.shuttingDown)
                }
            }
        }
        let choices = (0..<choiceCount).map { c in
            choice(
                c, text: texts[c], logprobs: logprobs.map { tokens[c].json(from: 0, alternatives: $0 > 0).0 } ?? .null,
                finish: reasons[c] ?? .length)
        }
        let usage: JSONOut = .object([
            ("prompt_tokens", .int(promptTokens)), ("completion_tokens", .int(completionTokens)),
            ("total_tokens", .int(promptTokens + completionTokens)),
        ])
        return jsonResponse(completion(choices, usage: usage))
    }

    /// One choice as OpenAI writes it.
    func choice(_ index: Int, text: String, logprobs: JSONOut, finish: FinishReason?) -> JSONOut {
        .object([
            ("text", .string(text)), ("index", .int(index)), ("logprobs", logprobs),
            ("finish_reason", finish.map { .string($0.rawValue) } ?? .null),
        ])
    }

    /// The completion object around `choices` (a whole answer with `usage`, or one streamed chunk without).
    func completion(_ choices: [JSONOut], usage: JSONOut? = nil) -> JSONOut {
        var fields: [(String, JSONOut)] = [
            ("id", .string(id)), ("object", .string("text_completion")), ("created", .int(created)),
            ("model", .string(model)), ("choices", .array(choices)),
        ]
        if let usage { fields.append(("usage", usage)) }
        return .object(fields)
    }

    /// Server-sent events: a chunk per piece of text (each valid UTF-8), one with each choice's finish_reason,
    /// then `data: [DONE]`. With logprobs each chunk carries the tokens generated since the choice's last chunk.
    /// The texts of a choice that arrived together make one chunk, and a batch's chunks go out in one write. A
    /// client that goes away cancels the request at the next step.
    func streamed(_ events: EventBatches) -> Response {
        let run = self
        let body = ResponseBody { writer in
            var pending = [TokenLogprobs](repeating: TokenLogprobs(), count: run.choiceCount)
            var offsets = [Int](repeating: 0, count: run.choiceCount)
            var out = ""
            /// Appends the server-sent event carrying `json` to `out`.
            func frame(_ json: JSONOut) {
                out += "data: "
                json.render(into: &out)
                out += "\n\n"
            }
            /// Appends choice c's chunk with `text`, the tokens pending for it, and `finish` to `out`.
            func chunk(_ c: Int, text: String, finish: FinishReason?) {
                var logprobs: JSONOut = .null
                if let asked = run.logprobs {
                    let (object, end) = pending[c].json(from: offsets[c], alternatives: asked > 0)
                    (logprobs, offsets[c], pending[c]) = (object, end, TokenLogprobs())
                }
                frame(run.completion([run.choice(c, text: text, logprobs: logprobs, finish: finish)]))
            }
            func send() async throws {
                guard !out.isEmpty else { return }
                try await writer.write(ByteBuffer(string: out))
                out = ""
            }
            do {
                if run.echo {
                    for c in 0..<run.choiceCount where !run.prompts[c / run.n].isEmpty {
                        pending[c] = run.initialLogprobs(c)
                        chunk(c, text: run.prompts[c / run.n], finish: nil)
                    }
                    try await send()
                }
                var finished = 0
                var first = true
                // Within a batch a choice's texts make one chunk, sent when the batch ends or the choice does. A
                // token's log-probability comes just before its text and a batch may end between them, so tokens
                // wait in `unclaimed` until a text (or the end) takes them into the chunk.
                var texts = [String](repeating: "", count: run.choiceCount)
                var unclaimed = [TokenLogprobs](repeating: TokenLogprobs(), count: run.choiceCount)
                var waiting: [Int] = []
                func flush(_ c: Int) {
                    guard !texts[c].isEmpty else { return }
                    chunk(c, text: texts[c], finish: nil)
                    texts[c] = ""
                }
                while finished < run.choiceCount {
                    for (p, event) in await events.next() where finished < run.choiceCount {
                        switch event {
                        case .token(let choice, let token, let logprob, let top):
                            unclaimed[p * run.n + choice].append(token, logprob: logprob, top: top, in: run.vocabulary)
                        case .text(let choice, let text):
                            if first {
                                run.metrics.firstToken(after: Date().timeIntervalSince(run.arrived))
                                first = false
                            }
                            let c = p * run.n + choice
                            if texts[c].isEmpty { waiting.append(c) }
                            texts[c] += text
                            pending[c].take(&unclaimed[c])
                        case .finished(let choice, let reason, _):
                            let c = p * run.n + choice
                            flush(c)
                            pending[c].take(&unclaimed[c])
                            chunk(c, text: "", finish: reason)
                            finished += 1
                        case .cancelled:
                            run.tickets.forEach { $0.cancel() }
                            frame(APIError(EngineError.shuttingDown).body)
                            finished = run.choiceCount
                        }
                    }
                    if finished < run.choiceCount { waiting.forEach(flush) }
                    waiting.removeAll(keepingCapacity: true)
                    if finished == run.choiceCount { out += "data: [DONE]\n\n" }
                    try await send()
                }
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
