// Tokens through the API: GET /v1/models/{model} and its vocabulary, prompts given as token ids, and the most
// likely tokens at each position (`logprobs` 1 to 5), whole, streamed and for an echoed prompt.
import Foundation
import Testing

@Suite(.serialized) struct TokenTests {
    func server() throws -> ServerProcess {
        try #require(ServerTests.shared, "charrnn-serve did not start")
    }

    /// The model's tokens in id order, from the server.
    func vocabulary(_ port: Int) throws -> [String] {
        let reply = try request(port, "GET", "/v1/models/en")
        #expect(reply.status == 200, "\(reply.text)")
        let facts = try #require(reply.json["charrnn"] as? [String: Any])
        let tokens = try #require(facts["vocabulary"] as? [String])
        #expect(tokens.count == facts["vocabulary_size"] as? Int)
        return tokens
    }

    @Test func aModelsOwnPageListsItsVocabulary() throws {
        let port = try server().port
        let tokens = try vocabulary(port)
        #expect(tokens.first == "<unk>")
        #expect(Set(tokens).count == tokens.count)
        #expect(["T", "h", "e", " ", "\n"].allSatisfy(tokens.contains))
        let missing = try request(port, "GET", "/v1/models/nope")
        #expect(missing.status == 404)
        #expect(missing.errorParam == "model")
        #expect(missing.errorMessage.contains("en"))
        let wrong = try request(port, "DELETE", "/v1/models/en")
        #expect(wrong.status == 405)
        #expect(wrong.headers["allow"] == "GET")
    }

    /// A prompt of token ids continues exactly as the same prompt as text; a list of such lists is several
    /// prompts; ids outside the vocabulary and mixed lists are 400s naming the prompt.
    @Test func tokenIdPromptsEqualTextPrompts() throws {
        let port = try server().port
        let tokens = try vocabulary(port)
        let ids = "The ".map { tokens.firstIndex(of: String($0))! }
        func texts(_ prompt: Any) throws -> [String] {
            let reply = try request(
                port, "POST", "/v1/completions",
                json: ServerTests.completion(["prompt": prompt, "max_tokens": 40, "seed": 7, "echo": true]))
            #expect(reply.status == 200, "\(reply.text)")
            return (reply.json["choices"] as? [[String: Any]] ?? []).map { $0["text"] as? String ?? "" }
        }
        let asText = try texts("The ")
        #expect(asText.count == 1 && asText[0].hasPrefix("The ") && asText[0].count > 20)
        #expect(try texts(ids) == asText)
        #expect(try texts([ids, ids]) == asText + asText)
        #expect(try texts([[Int]()]) == (try texts("")))
        let bad: [Any] = [[tokens.count], [-1], [ids[0], "h"], [ids, ["x"]], [1.5]]
        for prompt in bad {
            let reply = try request(port, "POST", "/v1/completions", json: ServerTests.completion(["prompt": prompt]))
            #expect(reply.status == 400, "\(prompt): \(reply.text)")
            #expect(reply.errorParam == "prompt", "\(prompt): \(reply.text)")
        }
    }

    /// `logprobs: 3`: each token's entry holds the three most likely tokens and, when it is not among them, the
    /// token itself (with token_logprobs' value); the chosen token is never more likely than a listed one it was
    /// added after; whole and streamed agree; the echoed prompt's entries equal its scoring's (max_tokens 0).
    @Test func alternativesAreTheMostLikelyTokens() throws {
        let port = try server().port
        let fields: [String: Any] = ["prompt": "The ", "max_tokens": 60, "seed": 3, "logprobs": 3, "echo": true]
        func logprobs(_ reply: HTTPReply) throws -> (tokens: [String], values: [Any], top: [Any]) {
            let choice = try #require((reply.json["choices"] as? [[String: Any]])?.first)
            let l = try #require(choice["logprobs"] as? [String: Any])
            return (
                l["tokens"] as? [String] ?? [], l["token_logprobs"] as? [Any] ?? [], l["top_logprobs"] as? [Any] ?? []
            )
        }
        let whole = try logprobs(try request(port, "POST", "/v1/completions", json: ServerTests.completion(fields)))
        #expect(whole.tokens.count == 4 + 60 && whole.top.count == whole.tokens.count)
        #expect(whole.top.first is NSNull)
        for i in 1..<whole.tokens.count {
            let entry = try #require(whole.top[i] as? [String: Double], "token \(i)")
            let value = try #require(whole.values[i] as? Double)
            #expect(entry[whole.tokens[i]] == value, "token \(i): \(entry)")
            #expect(entry.count == 3 || (entry.count == 4 && entry.values.allSatisfy { $0 >= value }), "\(entry)")
            #expect(entry.values.reduce(0) { $0 + exp($1) } <= 1 + 1e-9)
        }
        var streamed: [Any] = []
        let events = try request(
            port, "POST", "/v1/completions", json: ServerTests.completion(fields.merging(["stream": true]) { $1 })
        ).events
        for event in events.dropLast() {
            let json = try #require(try JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any])
            let choice = try #require((json["choices"] as? [[String: Any]])?.first)
            streamed += (choice["logprobs"] as? [String: Any])?["top_logprobs"] as? [Any] ?? []
        }
        #expect(NSArray(array: streamed).isEqual(to: whole.top))
        let scored = try logprobs(
            try request(
                port, "POST", "/v1/completions",
                json: ServerTests.completion(["prompt": "The ", "max_tokens": 0, "echo": true, "logprobs": 3])))
        #expect(NSArray(array: scored.top).isEqual(to: Array(whole.top.prefix(4))))
        let none = try request(
            port, "POST", "/v1/completions", json: ServerTests.completion(["max_tokens": 5, "logprobs": 0]))
        let choice = try #require((none.json["choices"] as? [[String: Any]])?.first)
        #expect((choice["logprobs"] as? [String: Any])?["top_logprobs"] is NSNull)
    }
}
