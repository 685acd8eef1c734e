// SIGINT and SIGTERM during `charrnn train`.
//
//   before the handlers      the first milliseconds (start, the OpenBLAS restart, parsing): the signal is held
//                            (blocked across the restart) and acted on once the handlers are in, as below
//   before training starts   reading the corpus and the checkpoint, setting up: the process ends at once with
//                            status 130 and one line; nothing has been written, so nothing is lost
//   while training           the first signal finishes the current update, writes latest.safetensors and exits
//                            with 130; a second SIGINT exits at once (every checkpoint write is atomic)
//   leaving                  the command has finished or failed and said so (`leave`): the process exits at once
//                            with its own status and no second line (under mpirun, one rank's exit makes mpirun
//                            send SIGTERM to the others, which are leaving too)
//
// SIGUSR1 acts as SIGTERM. Under mpirun it is the one to use: mpirun passes SIGUSR1 to every rank at once, while
// on SIGINT or SIGTERM it sends the ranks SIGTERM after a second and SIGKILL a second later
// (odls_base_sigkill_timeout), which a large model's checkpoint may not survive. With several ranks, the ranks
// agree in the update's all-reduce to stop after it, and rank 0 writes the checkpoint.
import Foundation
import Synchronization

enum Interrupts {
    /// Signals received since training started.
    static let count = Atomic<Int>(0)
    /// Set when the first update is about to run: from then on a signal asks training to stop.
    static let trainingStarted = Atomic<Bool>(false)
    /// The status the process is leaving with once `leave` has begun; -1 before.
    static let leavingStatus = Atomic<Int32>(-1)

    /// Blocks SIGINT and SIGTERM (a signal then waits until `install` unblocks it; the mask survives `exec`).
    static func block() { mask(SIG_BLOCK) }

    /// Unblocks SIGINT and SIGTERM, delivering any that arrived while they were blocked.
    static func unblock() { mask(SIG_UNBLOCK) }

    /// Installs the handlers, then unblocks the signals (a parent may also have started us with them blocked).
    static func install() {
        let handler: @convention(c) (Int32) -> Void = { signal in
            let leaving = Interrupts.leavingStatus.load(ordering: .acquiring)
            if leaving >= 0 { _exit(leaving) }
            if !Interrupts.trainingStarted.load(ordering: .acquiring) {
                let message: StaticString = "charrnn: interrupted before training started; nothing was written\n"
                _ = write(2, message.utf8Start, message.utf8CodeUnitCount)
                _exit(130)
            }
            let (count, _) = Interrupts.count.add(1, ordering: .relaxed)
            if count >= 2 && signal == SIGINT { _exit(130) }
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
        signal(SIGUSR1, handler)
        unblock()
    }

    /// Whether training was asked to stop.
    static var requested: Bool { count.load(ordering: .relaxed) > 0 }

    private static func mask(_ how: Int32) {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGUSR1)
        pthread_sigmask(how, &set, nil)
    }
}
