// Buffer: a fixed-size block of scalars with a stable address, for the layers' activations and workspaces.
//
// The kernels work on raw pointers (like llm.c's float*), so a buffer owns aligned memory and hands out its
// pointer; nothing is copied on write and nothing is reallocated inside a training step.

/// A zero-initialized, 64-byte-aligned array of `count` scalars that owns its memory.
public final class Buffer<T: RNNScalar> {
    public let count: Int
    public let pointer: UnsafeMutablePointer<T>

    /// A buffer of `count` zeros.
    public init(count: Int) {
        precondition(count >= 0, "Buffer count must be non-negative, got \(count)")
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(1, count) * MemoryLayout<T>.stride, alignment: 64)
        pointer = raw.bindMemory(to: T.self, capacity: max(1, count))
        pointer.initialize(repeating: 0, count: max(1, count))
    }

    /// A buffer holding a copy of `values`.
    public convenience init(_ values: [T]) {
        self.init(count: values.count)
        for (i, v) in values.enumerated() { pointer[i] = v }
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }

    /// Sets every element to zero.
    public func zero() { pointer.update(repeating: 0, count: count) }

    /// The elements as an array (for tests and I/O).
    public var array: [T] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    public subscript(i: Int) -> T {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }
}
