//===- TestExecutor.h - the executor compiled tests run on ------*- C++ -*-===//
//
// Tests of compiled code and of the communicators run on threads, or, with
// TP_TEST_BACKEND=mpi, under mpirun with this process as one rank (ctest
// starts them with mpirun -np D for several D). Under MPI every rank runs
// the same cases with D fixed to the job's size, and checks its own rank.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_UNITTESTS_SUPPORT_TESTEXECUTOR_H
#define TP_MLIR_UNITTESTS_SUPPORT_TESTEXECUTOR_H

#include "tp-mlir/Runtime/Communicator.h"
#include "tp-mlir/Support/OptionEnums.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mlir::tp::test {

/// threads, or mpi when TP_TEST_BACKEND=mpi.
Backend getTestBackend();

/// The number of ranks every test must use: the MPI job's size, or 0 when
/// any number will do (threads).
int64_t getFixedDevices();

/// An executor of `devices` ranks: a new thread group, or this process's
/// rank of the MPI job (made once), whose size must be `devices`.
rt::Executor &getTestExecutor(int64_t devices);

/// The piece sizes, in bytes, that MPI collectives are tested with: the
/// default and a few bytes (so that small tensors move in many pieces, rows
/// cut included) under MPI; just the default (0) on threads, which do not
/// stage.
std::vector<size_t> getStageSizesToTest();

/// Sets the MPI group's piece size (a no-op on threads); 0 restores the
/// default.
void setStageBytes(size_t bytes);

} // namespace mlir::tp::test

#endif // TP_MLIR_UNITTESTS_SUPPORT_TESTEXECUTOR_H
