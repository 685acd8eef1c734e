// Buffer: a fixed-size block of scalars with a stable address, for the layers' activations and workspaces.
//
// The kernels work on raw pointers (like llm.c's float*), so a buffer owns aligned memory and hands out its
// pointer; nothing is copied on write and nothing is reallocated inside a training step.

/// A zero-initialized, 64-byte-aligned array of `count` scalars that owns its memory (on huge pages from 2 MiB,
/// see `allocateLarge`), or a view of part of another buffer's.
final class Buffer<T: RNNScalar> {
    let count: Int
    let pointer: UnsafeMutablePointer<T>
    /// The buffer a view shares memory with (kept alive by it); nil when this buffer owns its memory.
    private let base: Buffer<T>?

    /// A buffer of `count` zeros.
    init(count: Int) {
        precondition(count >= 0, "Buffer count must be non-negative, got \(count)")
        self.count = count
        let raw = allocateLarge(byteCount: max(1, count) * MemoryLayout<T>.stride)
        pointer = raw.bindMemory(to: T.self, capacity: max(1, count))
        pointer.initialize(repeating: 0, count: max(1, count))
        base = nil
    }

    /// A view of `count` elements of `base` from `offset`: the same memory, not a copy.
    init(viewing base: Buffer<T>, offset: Int, count: Int) {
        precondition(
            offset >= 0 && count >= 0 && offset + count <= base.count,
            "view \(offset)..<\(offset + count) outside a buffer of \(base.count)")
        self.count = count
        pointer = base.pointer + offset
        self.base = base
    }

    /// A buffer holding a copy of `values`.
    convenience init(_ values: [T]) {
        self.init(count: values.count)
        for (i, v) in values.enumerated() { pointer[i] = v }
    }

    deinit { if base == nil { UnsafeMutableRawPointer(pointer).deallocate() } }

    /// Sets every element to zero.
    func zero() { pointer.update(repeating: 0, count: count) }

    /// The elements as an array (for tests and I/O).
    var array: [T] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    subscript(i: Int) -> T {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }
}
