// charrnn: the command-line front end. It parses flags, maps them onto the library's config structs, calls
// CharRNN, and turns every failure into one line on stderr with a non-zero exit.
import ArgumentParser
import CharRNN
import Foundation

@main
struct CharRNNCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "charrnn",
        abstract: "Character-level RNN language models: build vocabularies, train, sample, evaluate, serve.",
        subcommands: [
            VocabCommand.self, TrainCommand.self, SampleCommand.self, EvalCommand.self, InfoCommand.self,
            PlotCommand.self, ExportCommand.self, ServeCommand.self,
        ]
    )

    /// Runs the command; errors become `charrnn: error: …` on one line (help and --version print as usual).
    static func main() {
        // `train` handles SIGINT and SIGTERM from the start (Interrupts.swift); a signal during the restart below
        // waits for the new process's handlers.
        let training = CommandLine.arguments.dropFirst().first == "train"
        if training { Interrupts.install() }
        restartWithFasterBLASKernels(holdingInterrupts: training)
        // A file-size limit (ulimit -f) then fails the write with EFBIG, which is reported, instead of killing us.
        signal(SIGXFSZ, SIG_IGN)
        do {
            var command = try parseAsRoot()
            try command.run()
            leave(0)
        } catch {
            let code = exitCode(for: error)
            if code == .success { exit(withError: error) }
            if let code = error as? ExitCode { leave(code.rawValue) }  // already reported
            let text: String
            if let failure = error as? CommandFailure {
                text = failure.message
            } else {
                // Argument errors: ArgumentParser's short message and where the options are listed.
                text = message(for: error) + " (see '\(helpCommand)')"
            }
            Interrupts.leavingStatus.store(code.rawValue, ordering: .releasing)  // a signal now adds no line
            if reportsErrors(error) { Terminal.error(text) }
            leave(code.rawValue)
        }
    }
}

/// The MPI job `train` joined, if any: left (MPI_Finalize) before the process exits.
nonisolated(unsafe) var joinedGroup: ProcessGroup?

/// Exits with `code`, leaving the MPI job first when there is one. Every rank fails together by design, but a
/// rank whose partners are gone would wait in MPI_Finalize forever: after 10 s it exits without it.
func leave(_ code: Int32) -> Never {
    Interrupts.leavingStatus.store(code, ordering: .releasing)
    if let group = joinedGroup {
        let watchdog = Thread {
            Thread.sleep(forTimeInterval: 10)
            _exit(code)
        }
        watchdog.start()
        group.finish()
    }
    exit(code)
}

/// The rank of this process in the MPI job that started it (0 outside one), known before MPI is initialized.
let launchRank: Int = {
    let environment = ProcessInfo.processInfo.environment
    return (environment["OMPI_COMM_WORLD_RANK"] ?? environment["PMIX_RANK"]).flatMap(Int.init) ?? 0
}()

/// Whether this process prints `error`: always outside an MPI job; in one, rank 0 speaks for every rank (their
/// failures are collective: the same check fails on all, or rank 0's failure is passed to the others), and the
/// others print only a failure of MPI itself, which may be theirs alone.
func reportsErrors(_ error: any Error) -> Bool {
    guard launchRank != 0 else { return true }
    let underlying = (error as? CommandFailure)?.underlying ?? error
    switch underlying as? DistributedError {
    case .call, .unavailable: return true
    default: return false
    }
}

/// Starts this process again with `OPENBLAS_CORETYPE` set when OpenBLAS fell back to its generic kernels on a CPU
/// it does not know (`BLASCore`): OpenBLAS reads the variable only while loading. The new process gets the same
/// arguments, environment and stdin (nothing has been read yet). A user's own `OPENBLAS_CORETYPE` is left alone,
/// so the restart happens at most once; if it fails, charrnn goes on with the slower kernels. With
/// `holdingInterrupts`, SIGINT and SIGTERM are blocked across the restart (the mask survives `exec`), so one that
/// arrives meanwhile waits for the new process's handlers instead of killing it.
private func restartWithFasterBLASKernels(holdingInterrupts: Bool) {
    #if os(Linux)
    guard getenv("OPENBLAS_CORETYPE") == nil, let core = BLASCore.suggestedCoreType else { return }
    setenv("OPENBLAS_CORETYPE", core, 1)
    if holdingInterrupts { Interrupts.block() }
    execv("/proc/self/exe", CommandLine.unsafeArgv)
    if holdingInterrupts { Interrupts.unblock() }  // only reached when exec failed
    unsetenv("OPENBLAS_CORETYPE")
    #endif
}

/// `charrnn SUBCOMMAND --help` when the arguments name a subcommand, else `charrnn --help`.
private var helpCommand: String {
    let names = CharRNNCommand.configuration.subcommands.compactMap { $0.configuration.commandName }
    let arguments = CommandLine.arguments.dropFirst()
    if let first = arguments.first, names.contains(first) { return "charrnn \(first) --help" }
    return "charrnn --help"
}

/// A failure already described for the user; `main` prints `message` and exits with status 1.
struct CommandFailure: Error {
    let message: String
    /// The error it describes, if it came from one.
    let underlying: (any Error)?

    init(_ error: any Error) {
        message = userMessage(error)
        underlying = error
    }

    init(message: String, underlying: (any Error)? = nil) {
        self.message = message
        self.underlying = underlying
    }
}

/// Runs `body`, turning any error into a `CommandFailure` that prints as one line (after `prefix: ` when given).
func reportingFailures<T>(prefix: String? = nil, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let failure as CommandFailure {
        throw failure
    } catch {
        let text = userMessage(error)
        throw CommandFailure(message: prefix.map { "\($0): \(text)" } ?? text, underlying: error)
    }
}
