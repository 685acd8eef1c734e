// A corpus's token ids: stored narrow, widened past 65,535 and narrowed again when remapped.
import Foundation
import Testing

@testable import CharRNN

@Suite struct TokenIDsTests {
    @Test func widensPast65535AndNarrowsOnRemap() {
        var ids = TokenIDs()
        #expect(ids.bytesPerID == 2)
        ids.append(65535)
        #expect(ids.bytesPerID == 2)
        ids.append(70000)
        #expect(ids.bytesPerID == 4)
        #expect(Array(ids) == [65535, 70000])
        var map = [Int32](repeating: 0, count: 70001)
        map[65535] = 1
        map[70000] = 2
        ids.remap(map)
        #expect(ids.bytesPerID == 2)
        #expect(Array(ids) == [1, 2])
    }
}
