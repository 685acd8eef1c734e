// charrnn started as if by an MPI launcher without a usable Open MPI.
import Foundation
import TestSupport
import Testing

@testable import CharRNN

/// Started as if by an MPI launcher but without a usable Open MPI: one line saying so and what to install, status 1,
/// nothing written. Needs no Open MPI itself (CHARRNN_MPI_LIBRARY names the library to load).
@Suite struct MPILoadingTests {
    @Test(arguments: [
        ("/nonexistent/libmpi.so.40", "cannot load /nonexistent/libmpi.so.40 ("),
        ("libc.so.6", "libc.so.6 has no symbol MPI_Init_thread; charrnn needs Open MPI 4 or 5"),
    ])
    func aMissingOrWrongLibraryIsOneLine(library: String, reason: String) throws {
        try withTemporaryDirectory { dir in
            let corpus = try mpiCorpus(in: dir)
            let r = try runCharRNN(
                ["train", "--no-auto", corpus, "-o", dir.path + "/run", "--max-steps", "2"],
                environment: [
                    "OMPI_COMM_WORLD_SIZE": "2", "OMPI_COMM_WORLD_RANK": "0", "CHARRNN_MPI_LIBRARY": library,
                ])
            #expect(r.status == 1, "\(r.stderr)")
            #expect(
                r.stderr.hasPrefix("charrnn: error: started by an MPI launcher, but MPI is unavailable: \(reason)")
                    && r.stderr.hasSuffix("\n") && r.stderr.filter { $0 == "\n" }.count == 1, "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.path + "/run"))
        }
    }
}
