// Token embedding: a lookup table, forward (gather) and backward (scatter-add).
//
// Shapes: ids (N) with N = T·B positions; table (V, E); output (N, E).

/// out[r] = table[ids[r]] for each of the N positions.
func embeddingForward<T: RNNScalar>(
    output: UnsafeMutablePointer<T>, ids: UnsafePointer<Int32>, table: UnsafePointer<T>, count n: Int, width e: Int
) {
    for r in 0..<n { (output + r * e).update(from: table + Int(ids[r]) * e, count: e) }
}

/// dTable[ids[r]] += dOutput[r] for each position (accumulates).
func embeddingBackward<T: RNNScalar>(
    dTable: UnsafeMutablePointer<T>, dOutput: UnsafePointer<T>, ids: UnsafePointer<Int32>, count n: Int, width e: Int
) {
    for r in 0..<n {
        let (row, d) = (dTable + Int(ids[r]) * e, dOutput + r * e)
        for k in 0..<e { row[k] += d[k] }
    }
}
