// The token table that builds a vocabulary: interning and counting many distinct tokens through its growth.
import Foundation
import Testing

@testable import CharRNN

@Suite struct TokenTableTests {
    @Test func internsAndCountsManyDistinctTokensThroughGrowth() {
        var table = TokenTable()
        var rng = SplitMix64(seed: 9)
        var reference: [[UInt16]: Int] = [:]
        var order: [[UInt16]] = []
        for _ in 0..<20000 {
            let length = 1 + Int(rng.next() % 3)
            let token = (0..<length).map { _ in UInt16(0x4E00 + rng.next() % 40) }
            let slot = token.withUnsafeBufferPointer { table.add($0) }
            if reference[token] == nil { order.append(token) }
            reference[token, default: 0] += 1
            #expect(Array(table.units(ofSlot: Int(slot))) == token)
        }
        #expect(table.count == reference.count)
        for (slot, token) in order.enumerated() {
            #expect(table.counts[slot] == reference[token])
            #expect(token.withUnsafeBufferPointer { table.slot(of: $0) } == Int32(slot))
        }
        #expect([UInt16(1), 2, 3, 4, 5].withUnsafeBufferPointer { table.slot(of: $0) } == nil)
    }
}
