//===- MPIGroup.h - this process as one rank of an MPI job ------*- C++ -*-===//
//
// The MPI backend: D ranks as D processes started by mpirun, on one machine
// or many, with collectives from the MPI library (Debian's OpenMPI).
//
// Every collective first exchanges a small header with every other rank
// (op, call number, sizes) over a control communicator, with a deadline:
// so a mismatched call is reported on every rank with both calls, a rank
// that finished or failed releases the others at once with its rank and
// reason, and a wait past the timeout names the op and the ranks that did
// not arrive. The data then moves with MPI's own collectives
// (MPI_Allgatherv, MPI_Allreduce, MPI_Reduce_scatter, MPI_Bcast), which all
// ranks have by then entered with matching sizes.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_RUNTIME_MPIGROUP_H
#define TP_MLIR_RUNTIME_MPIGROUP_H

#include "tp-mlir/Runtime/Communicator.h"

#include <cstddef>

namespace mlir::tp::rt {

class MPIGroup : public Executor {
public:
  /// Initializes MPI (once per process, MPI_Init_thread with
  /// MPI_THREAD_FUNNELED; finalized at exit) unless the application did, and
  /// returns this process's rank of MPI_COMM_WORLD as an executor with one
  /// local rank. Null, with `error` set, when MPI cannot start. Making a
  /// group is collective (every process makes its groups in the same
  /// order), and a process should keep one for its life; every run must be
  /// made on every rank, from the thread that initialized MPI.
  static std::unique_ptr<MPIGroup>
  create(std::string &error,
         std::chrono::milliseconds timeout = defaultTimeout());

  /// All-reduce, reduce-scatter and all-to-all move at most this many
  /// bytes per MPI call (one row of the tensor where a row is larger), so
  /// the memory they stage through, theirs and the MPI library's, stays
  /// within a few times this, whatever the tensor.
  static constexpr size_t kDefaultStageBytes = size_t(1) << 20;
  /// Sets the bytes of one piece (tests use a few bytes to cut small
  /// tensors into many pieces); 0 is taken as one element.
  virtual void setStageBytes(size_t bytes) = 0;

  /// This process's rank.
  virtual int64_t rank() const = 0;
  virtual Communicator &communicator() = 0;
};

/// "Open MPI v4.1.4, ..." (MPI_Get_library_version, first line).
std::string getMPILibraryVersion();

} // namespace mlir::tp::rt

extern "C" {
/// For C hosts of ahead-of-time compiled models run under mpirun: runs
/// `body(rank, user)` for this process's rank of the MPI job, with its
/// communicator set (MPI is initialized if the application has not done
/// so, and finalized at exit). The job must have exactly `numRanks`
/// processes. Returns 0, or 1 after writing the error (a wrong process
/// count, or a failed collective naming the rank and the op) into `error`
/// (at most `errorSize` bytes).
int tp_rt_run_on_mpi(int64_t numRanks, void (*body)(int64_t rank, void *user),
                     void *user, char *error, size_t errorSize);
}

#endif // TP_MLIR_RUNTIME_MPIGROUP_H
