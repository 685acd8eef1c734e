// ProcessGroup: the processes that train one model together — one process alone, or the ranks of an MPI job
// started by mpirun or Slurm's srun — and the collective operations data-parallel training needs: sums over all
// ranks, a broadcast from rank 0, a gather to rank 0.
//
// MPI is Open MPI, loaded at run time by CMPIShim only when the process was started by an MPI launcher: nothing
// to install or build for one machine, and the same binary joins a job on many.
import CMPIShim
import Foundation

/// A failure of the group: an MPI call that failed, or a failure on another rank that every rank must stop for.
public enum DistributedError: Error, CustomStringConvertible, Equatable {
    /// Open MPI could not be loaded or started.
    case unavailable(String)
    /// An MPI call returned an error.
    case call(String, String)
    /// Another rank failed with this message (rank 0 prints it; the others stop quietly).
    case failedElsewhere(rank: Int, message: String)
    /// The replicas of the model differ.
    case replicasDiverged(step: Int)
    /// The ranks were not started with the same arguments.
    case argumentsDiffer(rank: Int)

    public var description: String {
        switch self {
        case .unavailable(let why): return "started by an MPI launcher, but MPI is unavailable: \(why)"
        case .call(let name, let why): return "\(name) failed: \(why)"
        case .failedElsewhere(let rank, let message): return "rank \(rank): \(message)"
        case .replicasDiverged(let step):
            return "the ranks' copies of the model differ at step \(step) (a hardware fault or a bug); resume from "
                + "the last checkpoint, and report it if it happens again"
        case .argumentsDiffer(let rank):
            return "rank \(rank) was started with other arguments than rank 0; start every rank with the same command"
        }
    }
}

/// The processes that train one model together.
public final class ProcessGroup: @unchecked Sendable {
    /// This process's rank, 0 ..< `size`; rank 0 reads the corpus and writes checkpoints and metrics.
    public let rank: Int
    /// The number of ranks.
    public let size: Int
    /// The number of distinct hosts the ranks run on.
    public let hosts: Int
    /// Ranks on this host (for a default thread count: the host's cores shared among them).
    public let localSize: Int
    /// Whether the group is an MPI job (even of one rank).
    public let usesMPI: Bool

    private init(rank: Int, size: Int, hosts: Int, localSize: Int, usesMPI: Bool) {
        (self.rank, self.size, self.hosts, self.localSize, self.usesMPI) = (rank, size, hosts, localSize, usesMPI)
    }

    /// One process on its own.
    public static let single = ProcessGroup(rank: 0, size: 1, hosts: 1, localSize: 1, usesMPI: false)

    /// Whether rank 0, the one that reads and writes files.
    public var isRoot: Bool { rank == 0 }

    /// Whether this process was started by an MPI launcher: Open MPI's mpirun (OMPI_COMM_WORLD_SIZE) or a PMIx
    /// launcher such as Slurm's srun --mpi=pmix (PMIX_RANK).
    public static var launchedByMPI: Bool {
        let environment = ProcessInfo.processInfo.environment
        return environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMIX_RANK"] != nil
    }

    /// Joins the MPI job this process was started in: loads Open MPI, initializes it, and learns the rank, the
    /// number of ranks and of hosts. Call once, before any other MPI use; `finish()` at the end.
    ///
    /// - Throws: `DistributedError.unavailable` when Open MPI cannot be loaded or started.
    public static func joinMPI() throws(DistributedError) -> ProcessGroup {
        var error = [CChar](repeating: 0, count: 512)
        guard crnn_mpi_load(&error, error.count) == 1 else {
            throw .unavailable(String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        try check(crnn_mpi_init(), "MPI_Init_thread")
        var (rank, size): (Int32, Int32) = (0, 0)
        try check(crnn_mpi_rank(&rank), "MPI_Comm_rank")
        try check(crnn_mpi_size(&size), "MPI_Comm_size")
        // Hosts: every rank's processor name, gathered on rank 0, counted there and broadcast.
        var name = [CChar](repeating: 0, count: 256)
        try check(crnn_mpi_processor_name(&name, name.count), "MPI_Get_processor_name")
        let partial = ProcessGroup(rank: Int(rank), size: Int(size), hosts: 1, localSize: 1, usesMPI: true)
        let names = try partial.gather(name.map { UInt8(bitPattern: $0) })
        var count = [UInt8](String(Set((names ?? []).map { $0.prefix { $0 != 0 } }).count).utf8)
        try partial.broadcast(&count)
        let hosts = Int(String(decoding: count, as: UTF8.self)) ?? 1
        let local = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap(Int.init)
        return ProcessGroup(
            rank: Int(rank), size: Int(size), hosts: max(1, hosts),
            localSize: max(1, local ?? Int(size) / max(1, hosts)),
            usesMPI: true)
    }

    /// Leaves the MPI job (MPI_Finalize); nothing for a single process.
    public func finish() {
        if usesMPI { _ = crnn_mpi_finalize() }
    }

    /// Ends every rank of the job at once with `code` (MPI_Abort), or this process alone.
    public func abort(code: Int32) -> Never {
        if usesMPI { crnn_mpi_abort(code) }
        exit(code)
    }

    // MARK: Collective operations (every rank calls them, in the same order)

    /// values ← the element-wise sum over all ranks.
    func allreduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws(DistributedError) {
        guard usesMPI && size > 1 else { return }
        try Self.check(crnn_mpi_allreduce_sum_float(values.baseAddress, values.count), "MPI_Allreduce")
    }

    /// values ← the element-wise sum over all ranks, sent as bfloat16: each value rounded to bfloat16 on the way
    /// out, every addition in single precision rounded to bfloat16, and the sum turned back into floats. Half the
    /// bytes of `allreduceSum` for about 3 significant digits.
    func allreduceSumBFloat16(
        _ values: UnsafeMutableBufferPointer<Float>, scratch: inout [UInt16]
    ) throws(DistributedError) {
        guard usesMPI && size > 1 else { return }
        if scratch.count != values.count { scratch = [UInt16](repeating: 0, count: values.count) }
        let status = scratch.withUnsafeMutableBufferPointer { halves in
            crnn_float_to_bfloat16(values.baseAddress, halves.baseAddress, values.count)
            let status = crnn_mpi_allreduce_sum_bfloat16(halves.baseAddress, values.count)
            crnn_bfloat16_to_float(halves.baseAddress, values.baseAddress, values.count)
            return status
        }
        try Self.check(status, "MPI_Allreduce")
    }

    /// values ← the element-wise sum over all ranks.
    func allreduceSum(_ values: inout [Double]) throws(DistributedError) {
        guard usesMPI && size > 1 else { return }
        let status = values.withUnsafeMutableBufferPointer { crnn_mpi_allreduce_sum_double($0.baseAddress, $0.count) }
        try Self.check(status, "MPI_Allreduce")
    }

    /// The smallest and the largest of every rank's `value`.
    func extremes(_ value: UInt64) throws(DistributedError) -> (min: UInt64, max: UInt64) {
        guard usesMPI && size > 1 else { return (value, value) }
        var (low, high) = (value, value)
        try Self.check(crnn_mpi_allreduce_extreme_u64(&low, 1, 0), "MPI_Allreduce")
        try Self.check(crnn_mpi_allreduce_extreme_u64(&high, 1, 1), "MPI_Allreduce")
        return (low, high)
    }

    /// Rank 0's `bytes` on every rank (the length first, then the bytes).
    func broadcast(_ bytes: inout [UInt8]) throws(DistributedError) {
        guard usesMPI && size > 1 else { return }
        var count = UInt64(bytes.count)
        try Self.check(crnn_mpi_broadcast(&count, 8, 0), "MPI_Bcast")
        if !isRoot { bytes = [UInt8](repeating: 0, count: Int(count)) }
        let status = bytes.withUnsafeMutableBytes { crnn_mpi_broadcast($0.baseAddress, $0.count, 0) }
        try Self.check(status, "MPI_Bcast")
    }

    /// Every rank's `bytes` (all of the same length), in rank order, on rank 0; nil on the others.
    func gather(_ bytes: [UInt8]) throws(DistributedError) -> [[UInt8]]? {
        guard usesMPI && size > 1 else { return [bytes] }
        var received = [UInt8](repeating: 0, count: isRoot ? bytes.count * size : 0)
        let status = bytes.withUnsafeBytes { send in
            received.withUnsafeMutableBytes { crnn_mpi_gather(send.baseAddress, bytes.count, $0.baseAddress, 0) }
        }
        try Self.check(status, "MPI_Gather")
        guard isRoot else { return nil }
        return (0..<size).map { Array(received[($0 * bytes.count)..<(($0 + 1) * bytes.count)]) }
    }

    /// Runs `body` on rank 0 only and tells every rank whether it succeeded: on failure rank 0 rethrows its
    /// error and the others throw `failedElsewhere`, so no rank waits for a collective the others never reach.
    func onRoot(_ body: () throws -> Void) throws {
        var failure: (any Error)?
        if isRoot {
            do { try body() } catch { failure = error }
        }
        guard usesMPI && size > 1 else {
            if let failure { throw failure }
            return
        }
        // One byte (1 for a failure) and the failure's message.
        var message: [UInt8] = failure.map { [1] + Array(String(describing: $0).utf8) } ?? [0]
        try broadcast(&message)
        if let failure { throw failure }
        if message.first == 1 {
            throw DistributedError.failedElsewhere(
                rank: 0, message: String(decoding: message.dropFirst(), as: UTF8.self))
        }
    }

    private static func check(_ status: Int32, _ name: String) throws(DistributedError) {
        guard status != 0 else { return }
        var text = [CChar](repeating: 0, count: 512)
        crnn_mpi_error_string(status, &text, text.count)
        throw .call(name, String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
}
