// Fuzzes the tokenizer: any bytes, every unit and normalization, must tokenize without trapping; without
// normalization the tokens must put back exactly the text (ill-formed UTF-8 as U+FFFD, maximal subparts, which
// is also Swift's String(decoding:) policy).
import CharRNN

nonisolated(unsafe) let tokenizers: [(TokenizerConfig, Tokenizer)] = {
    var all: [(TokenizerConfig, Tokenizer)] = []
    for unit in TokenUnit.allCases {
        for normalization in NormalizationForm.allCases {
            var config = TokenizerConfig()
            config.unit = unit
            config.normalization = normalization
            all.append((config, try! Tokenizer(config: config)))
        }
    }
    return all
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenizer(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let expected = Array(String(decoding: bytes, as: UTF8.self).utf16)
    for (config, tokenizer) in tokenizers {
        var joined: [UInt16] = []
        var tokens = 0
        do {
            try tokenizer.tokenize(bytes) { token in
                precondition(!token.isEmpty, "empty token (\(config.unit))")
                joined += token
                tokens += 1
            }
        } catch {
            fatalError("ICU failed on \(size) bytes (\(config.unit), \(config.normalization)): \(error)")
        }
        guard config.normalization == .none else { continue }
        if config.unit == .byte {
            precondition(joined.allSatisfy { $0 < 256 }, "a byte token above 255")
            precondition(
                String(decoding: joined.map { UInt8($0) }, as: UTF8.self).utf16.elementsEqual(expected),
                "byte tokens do not put back the text")
        } else {
            precondition(joined == expected, "\(config.unit) tokens do not put back the text")
        }
    }
    return 0
}
