// charrnn-serve through the built binary on an ephemeral loopback port: every endpoint, streaming and not, seeds
// that give `charrnn sample`'s text, echo + logprobs that give `charrnn eval --per-token`'s figures, concurrent
// requests that do not change each other's text, and the bad inputs.
import Foundation
import Synchronization
import Testing

@Suite(.serialized) struct ServerTests {
    /// One server for the tests that do not stop it: the English model as "en". A static is never deinitialised,
    /// so the server is killed when the test process exits (it outlived the tests before).
    static let shared: ServerProcess? = {
        let server = try? ServerProcess(["-m", "en=\(englishModel)", "--threads", "2"])
        atexit { ServerTests.shared?.killIfRunning() }
        return server
    }()

    func server() throws -> ServerProcess {
        try #require(Self.shared, "charrnn-serve did not start")
    }

    static func completion(_ fields: [String: Any]) -> [String: Any] {
        ["model": "en"].merging(fields) { $1 }
    }

    @Test func healthAndModels() throws {
        let port = try server().port
        let health = try request(port, "GET", "/health")
        #expect(health.status == 200)
        #expect(health.json["status"] as? String == "ok")
        let models = try request(port, "GET", "/v1/models")
        #expect(models.status == 200)
        let data = try #require(models.json["data"] as? [[String: Any]])
        #expect(data.count == 1)
        #expect(data[0]["id"] as? String == "en")
        let facts = try #require(data[0]["charrnn"] as? [String: Any])
        #expect(facts["cell"] as? String == "lstm")
        #expect((facts["vocabulary_size"] as? Int ?? 0) > 10)
    }

    /// The same seed gives `charrnn sample`'s text, for one choice and for three (sample's --num-samples).
    @Test(arguments: [1, 3])
    func seededCompletionsEqualCharrnnSample(n: Int) throws {
        let port = try server().port
        let reply = try request(
            port, "POST", "/v1/completions",
            json: Self.completion([
                "prompt": "The ", "max_tokens": 80, "temperature": 0.9, "seed": 42, "n": n, "top_p": 0.95,
            ]))
        #expect(reply.status == 200, "\(reply.text)")
        let choices = try #require(reply.json["choices"] as? [[String: Any]])
        #expect(choices.count == n)
        let sampled = try charrnn([
            "sample", "-m", englishModel, "--prime", "The ", "--no-echo-prime", "--length", "80", "--temperature",
            "0.9", "--top-p", "0.95", "--seed", "42", "--num-samples", "\(n)", "--separator", "\u{1}",
        ])
        let expected = sampled.dropLast().split(separator: "\u{1}", omittingEmptySubsequences: false).map(String.init)
        #expect(choices.map { $0["text"] as? String ?? "" } == expected)
        #expect(choices.allSatisfy { $0["finish_reason"] as? String == "length" })
        let usage = try #require(reply.json["usage"] as? [String: Any])
        #expect(usage["prompt_tokens"] as? Int == 4)
        #expect(usage["completion_tokens"] as? Int == 80 * n)
    }

    /// Streamed chunks add up to the text the JSON answer has, each chunk is valid JSON, and the stream ends with
    /// each choice's finish_reason and then [DONE]; echo puts the prompt first.
    @Test func streamingEqualsTheWholeAnswer() throws {
        let port = try server().port
        let fields: [String: Any] = ["prompt": "A wise ", "max_tokens": 60, "seed": 9, "n": 2, "echo": true]
        let whole = try request(port, "POST", "/v1/completions", json: Self.completion(fields))
        let streamed = try request(
            port, "POST", "/v1/completions", json: Self.completion(fields.merging(["stream": true]) { $1 }))
        #expect(streamed.status == 200)
        #expect(streamed.headers["content-type"]?.hasPrefix("text/event-stream") == true)
        let events = streamed.events
        #expect(events.last == "[DONE]")
        var texts = ["", ""]
        var finishes: [String?] = [nil, nil]
        for event in events.dropLast() {
            let json = try #require(try JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any])
            let choice = try #require((json["choices"] as? [[String: Any]])?.first)
            let index = try #require(choice["index"] as? Int)
            texts[index] += choice["text"] as? String ?? ""
            if let finish = choice["finish_reason"] as? String { finishes[index] = finish }
        }
        let choices = try #require(whole.json["choices"] as? [[String: Any]])
        #expect(texts == choices.map { $0["text"] as? String ?? "" })
        #expect(texts.allSatisfy { $0.hasPrefix("A wise ") })
        #expect(finishes == ["length", "length"])
    }

    /// With --stream-interval a chunk carries every token generated since the last: 2,000 tokens of two choices
    /// come in at most two chunks per choice per second of the stream besides the first and the last (a chunk per
    /// token without the interval), and still add up to the whole answer's text, with each chunk's logprobs tokens
    /// spelling its text and text_offset running on from the last chunk.
    @Test func aStreamIntervalPutsTheTokensOfManyStepsInAChunk() throws {
        let server = try ServerProcess(["-m", "en=\(englishModel)", "--stream-interval", "1000"])
        let fields: [String: Any] = ["prompt": "The ", "max_tokens": 2000, "seed": 4, "n": 2, "logprobs": 0]
        let whole = try request(server.port, "POST", "/v1/completions", json: Self.completion(fields))
        let started = Date()
        let events = try request(
            server.port, "POST", "/v1/completions", json: Self.completion(fields.merging(["stream": true]) { $1 })
        ).events
        let seconds = Date().timeIntervalSince(started)
        #expect(events.last == "[DONE]")
        var texts = ["", ""]
        var chunks = 0
        for event in events.dropLast() {
            let json = try #require(try JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any])
            let choice = try #require((json["choices"] as? [[String: Any]])?.first)
            let index = try #require(choice["index"] as? Int)
            let text = try #require(choice["text"] as? String)
            let logprobs = try #require(choice["logprobs"] as? [String: Any])
            let tokens = try #require(logprobs["tokens"] as? [String])
            #expect(tokens.joined() == text)
            if let offset = (logprobs["text_offset"] as? [Int])?.first {
                #expect(offset == texts[index].unicodeScalars.count)
            }
            texts[index] += text
            if !text.isEmpty { chunks += 1 }
        }
        let choices = try #require(whole.json["choices"] as? [[String: Any]])
        #expect(texts == choices.map { $0["text"] as? String ?? "" })
        #expect(texts.allSatisfy { $0.count > 1000 })
        // Per choice: the first text, then at most one chunk per interval (a second) — and a little slack for
        // timing: a hand-off waits for the next step after the interval.
        #expect(Double(chunks) <= 2 * (2 + 2 * seconds), "\(chunks) chunks with text in \(seconds) s")
    }

    /// A stop text ends a choice just before it, with finish_reason "stop": `charrnn sample --stop`'s text without
    /// the stop text; with a list, at the first of them.
    @Test func stopTextsEndAChoice() throws {
        let port = try server().port
        let reply = try request(
            port, "POST", "/v1/completions",
            json: Self.completion(["prompt": "The ", "max_tokens": 400, "seed": 3, "stop": "e"]))
        let choice = try #require((reply.json["choices"] as? [[String: Any]])?.first)
        let text = try #require(choice["text"] as? String)
        #expect(choice["finish_reason"] as? String == "stop")
        let sampled = try charrnn([
            "sample", "-m", englishModel, "--prime", "The ", "--no-echo-prime", "--length", "400", "--temperature", "1",
            "--seed", "3", "--stop", "e",
        ])
        #expect(text + "e\n" == sampled)
        let both = try request(
            port, "POST", "/v1/completions",
            json: Self.completion(["prompt": "The ", "max_tokens": 400, "seed": 3, "stop": ["e", "h"]]))
        let first = try #require((both.json["choices"] as? [[String: Any]])?.first)
        let cut = try #require(first["text"] as? String)
        #expect(text.hasPrefix(cut) && !cut.contains("h") && first["finish_reason"] as? String == "stop")
    }

    /// Requests in flight together each get the text they get alone.
    @Test func concurrentRequestsDoNotChangeEachOthersText() throws {
        let port = try server().port
        let prompts = ["The ", "Love is ", "A ", "Never ", "If you ", "What ", "In the ", "He "]
        @Sendable func body(_ i: Int) -> [String: Any] {
            Self.completion(["prompt": prompts[i], "max_tokens": 120, "seed": 100 + i, "n": 1 + i % 3])
        }
        @Sendable func texts(_ reply: HTTPReply) -> [String] {
            (reply.json["choices"] as? [[String: Any]] ?? []).map { $0["text"] as? String ?? "" }
        }
        let alone = try prompts.indices.map { try texts(request(port, "POST", "/v1/completions", json: body($0))) }
        let together = Mutex<[[String]]>(Array(repeating: [], count: prompts.count))
        DispatchQueue.concurrentPerform(iterations: prompts.count) { i in
            let reply = try? request(port, "POST", "/v1/completions", json: body(i))
            together.withLock { $0[i] = reply.map(texts) ?? [] }
        }
        #expect(together.withLock { $0 } == alone)
        #expect(alone.allSatisfy { $0.allSatisfy { $0.count > 20 } })
    }

    /// echo + max_tokens 0 + logprobs 0 scores the prompt: `charrnn eval --per-token`'s figures (printed in bits
    /// to three decimals).
    @Test func echoWithLogprobsScoresThePromptAsEvalDoes() throws {
        let port = try server().port
        let text = "Whatever you do, do it well.\nThe end."
        let reply = try request(
            port, "POST", "/v1/completions",
            json: Self.completion(["prompt": text, "max_tokens": 0, "echo": true, "logprobs": 0]))
        #expect(reply.status == 200, "\(reply.text)")
        let choice = try #require((reply.json["choices"] as? [[String: Any]])?.first)
        #expect(choice["text"] as? String == text)
        let logprobs = try #require(choice["logprobs"] as? [String: Any])
        let tokens = try #require(logprobs["tokens"] as? [String])
        let values = try #require(logprobs["token_logprobs"] as? [Any])
        #expect(tokens.joined() == text)
        #expect(values.first is NSNull)
        let table = try charrnn(["eval", "-m", englishModel, "--per-token", "-"], stdin: text)
        // position, token, bits per line after the header; then the summary, which has no tab.
        let bits = table.split(separator: "\n").dropFirst().filter { $0.contains("\t") }
            .compactMap { Double($0.split(separator: "\t").last!) }
        #expect(bits.count == tokens.count - 1)
        for (i, b) in bits.enumerated() {
            let nats = try #require(values[i + 1] as? Double)
            #expect(abs(-nats / log(2) - b) <= 0.0006, "token \(i + 1)")
        }
    }

    /// logprobs 0 with generation: every generated token with its log-probability, the same whole and streamed,
    /// the tokens spelling the text; with echo the prompt's tokens first (the first without one), as scoring gives.
    @Test func generatedTokensComeWithLogprobs() throws {
        let port = try server().port
        let fields: [String: Any] = ["prompt": "The ", "max_tokens": 50, "seed": 12, "logprobs": 0, "echo": true]
        func logprobs(_ choice: [String: Any]) -> (tokens: [String], values: [Double?], offsets: [Int]) {
            let l = choice["logprobs"] as? [String: Any] ?? [:]
            return (
                l["tokens"] as? [String] ?? [], (l["token_logprobs"] as? [Any] ?? []).map { $0 as? Double },
                l["text_offset"] as? [Int] ?? []
            )
        }
        let whole = try request(port, "POST", "/v1/completions", json: Self.completion(fields))
        let choice = try #require((whole.json["choices"] as? [[String: Any]])?.first)
        let (tokens, values, offsets) = logprobs(choice)
        #expect(tokens.count == 4 + 50)
        #expect(tokens.joined() == choice["text"] as? String)
        #expect(values.first! == nil && values.dropFirst().allSatisfy { $0 != nil && $0! <= 0 })
        #expect(offsets == tokens.indices.map { tokens[..<$0].joined().unicodeScalars.count })
        let scored = try request(
            port, "POST", "/v1/completions",
            json: Self.completion(["prompt": "The ", "max_tokens": 0, "echo": true, "logprobs": 0]))
        let prompt = logprobs(try #require((scored.json["choices"] as? [[String: Any]])?.first))
        #expect(Array(values.prefix(4)) == prompt.values)
        let streamed = try request(
            port, "POST", "/v1/completions", json: Self.completion(fields.merging(["stream": true]) { $1 }))
        var streamedTokens: [String] = []
        var streamedValues: [Double?] = []
        var streamedOffsets: [Int] = []
        for event in streamed.events.dropLast() {
            let json = try #require(try JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any])
            let (t, v, o) = logprobs(try #require((json["choices"] as? [[String: Any]])?.first))
            streamedTokens += t
            streamedValues += v
            streamedOffsets += o
        }
        #expect(streamedTokens == tokens && streamedValues == values && streamedOffsets == offsets)
    }

    @Test func badRequestsGet400NamingTheField() throws {
        let port = try server().port
        let cases: [([String: Any], String?)] = [
            (["model": "nope", "prompt": "x"], "model"),
            (["prompt": "x"], "model"),
            (Self.completion(["temperature": 0]), "temperature"),
            (Self.completion(["temperature": -1]), "temperature"),
            (Self.completion(["temperature": "hot"]), "temperature"),
            (Self.completion(["top_p": 1.5]), "top_p"),
            (Self.completion(["top_p": 0]), "top_p"),
            (Self.completion(["n": 0]), "n"),
            (Self.completion(["max_tokens": -1]), "max_tokens"),
            (Self.completion(["max_tokens": 1e9]), "max_tokens"),
            (Self.completion(["max_tokens": 2.5]), "max_tokens"),
            (Self.completion(["stream": "yes"]), "stream"),
            (Self.completion(["prompt": 7]), "prompt"),
            (Self.completion(["prompt": []]), "prompt"),
            (Self.completion(["stop": ""]), "stop"),
            (Self.completion(["seed": -4]), "seed"),
            (Self.completion(["top_k": 0]), "top_k"),
            (Self.completion(["logprobs": 6]), "logprobs"),
            (Self.completion(["logprobs": -1]), "logprobs"),
        ]
        for (body, param) in cases {
            let reply = try request(port, "POST", "/v1/completions", json: body)
            #expect(reply.status == 400, "\(body): \(reply.status) \(reply.text)")
            #expect(reply.errorParam == param, "\(body): \(reply.text)")
            #expect(!reply.errorMessage.isEmpty)
        }
        for raw in ["{", "[1, 2]", "", "null", "{\"model\": \"en\", \"prompt\": \"\\ud800\"}"] {
            let reply = try request(port, "POST", "/v1/completions", raw: Array(raw.utf8))
            #expect(reply.status == 400, "\(raw): \(reply.status) \(reply.text)")
        }
        let huge = try request(
            port, "POST", "/v1/completions",
            raw: Array("{\"model\": \"en\", \"prompt\": \"\(String(repeating: "a", count: 2 << 20))\"}".utf8))
        #expect(huge.status == 413)
        let wrongMethod = try request(port, "DELETE", "/v1/models")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.headers["allow"] == "GET")
        let missing = try request(port, "GET", "/v2/nothing")
        #expect(missing.status == 404)
        #expect(!missing.errorMessage.isEmpty)
    }

    @Test func metricsCountRequestsTokensAndLatency() throws {
        let port = try server().port
        // A prompt no other test sends, twice: the second joins with the state kept from the first.
        let hit = "charrnn_prompt_cache_total{model=\"en\",result=\"hit\"} "
        let miss = "charrnn_prompt_cache_total{model=\"en\",result=\"miss\"} "
        func counts() throws -> (hits: Int, misses: Int) {
            let lines = try request(port, "GET", "/metrics").text.split(separator: "\n")
            func value(_ prefix: String) -> Int {
                lines.first { $0.hasPrefix(prefix) }.flatMap { Int($0.dropFirst(prefix.count)) } ?? -1
            }
            return (value(hit), value(miss))
        }
        let before = try counts()
        for seed in 1...2 {
            _ = try request(
                port, "POST", "/v1/completions",
                json: Self.completion(["prompt": "Metrics, metrics", "max_tokens": 5, "seed": seed]))
        }
        let after = try counts()
        #expect(before.hits >= 0 && after.hits > before.hits && after.misses > before.misses, "\(before) \(after)")
        let metrics = try request(port, "GET", "/metrics")
        #expect(metrics.status == 200)
        let text = metrics.text
        #expect(text.contains("charrnn_requests_total{endpoint=\"/v1/completions\",status=\"200\"}"))
        for name in [
            "charrnn_tokens_generated_total ", "charrnn_streams_active{model=\"en\"}",
            "charrnn_queue_depth{model=\"en\"}",
            "charrnn_time_to_first_token_seconds_bucket{le=\"+Inf\"}", "charrnn_token_latency_seconds_count ",
        ] {
            #expect(text.contains(name), "\(name)")
        }
    }
}
