// Large buffers: aligned to a huge page and marked for huge pages (Linux's VmFlags "hg"); small ones as before.
import Foundation
import Testing

@testable import CharRNN

@Suite struct LargeAllocationTests {
    /// The VmFlags of the mapping that holds `address`, from /proc/self/smaps; nil when not found.
    func vmFlags(of address: UInt) throws -> [Substring]? {
        // Read to the end: /proc files report a size of 0.
        let handle = try #require(FileHandle(forReadingAtPath: "/proc/self/smaps"))
        let smaps = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        var inside = false
        for line in smaps.split(separator: "\n") {
            if let dash = line.firstIndex(of: "-"), let space = line.firstIndex(of: " "), dash < space,
                let lo = UInt(line[..<dash], radix: 16), let hi = UInt(line[line.index(after: dash)..<space], radix: 16)
            {
                inside = lo <= address && address < hi
            } else if inside, line.hasPrefix("VmFlags:") {
                return line.dropFirst("VmFlags:".count).split(separator: " ")
            }
        }
        return nil
    }

    @Test func largeBuffersAskForHugePages() throws {
        let large = allocateLarge(byteCount: 3 * hugePageBytes + 5)
        defer { large.deallocate() }
        #expect(UInt(bitPattern: large) % UInt(hugePageBytes) == 0)
        let small = allocateLarge(byteCount: 1000)
        defer { small.deallocate() }
        #expect(UInt(bitPattern: small) % 64 == 0)
        #if os(Linux)
        let flags = try #require(try vmFlags(of: UInt(bitPattern: large) + UInt(hugePageBytes)), "no mapping found")
        #expect(flags.contains("hg"), "VmFlags \(flags)")
        #endif
        // Buffers and packed matrices use it.
        let buffer = Buffer<Float>(count: hugePageBytes)
        #expect(UInt(bitPattern: buffer.pointer) % UInt(hugePageBytes) == 0)
    }
}
