//===- TestExecutor.cpp - the executor compiled tests run on --------------===//

#include "TestExecutor.h"

#include "tp-mlir/Runtime/ThreadGroup.h"
#ifdef TP_ENABLE_MPI
#include "tp-mlir/Runtime/MPIGroup.h"
#endif

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>

using namespace mlir::tp;

Backend mlir::tp::test::getTestBackend() {
  const char *env = std::getenv("TP_TEST_BACKEND");
  if (!env || !*env || std::strcmp(env, "threads") == 0)
    return Backend::threads;
  if (std::strcmp(env, "mpi") == 0)
    return Backend::mpi;
  std::fprintf(stderr, "TP_TEST_BACKEND must be threads or mpi, not '%s'\n",
               env);
  std::exit(2);
}

#ifdef TP_ENABLE_MPI
static rt::MPIGroup &mpiGroup() {
  static std::unique_ptr<rt::MPIGroup> group = [] {
    std::string error;
    auto created = rt::MPIGroup::create(error);
    if (!created) {
      std::fprintf(stderr, "cannot start MPI: %s\n", error.c_str());
      std::exit(2);
    }
    return created;
  }();
  return *group;
}
#endif

int64_t mlir::tp::test::getFixedDevices() {
#ifdef TP_ENABLE_MPI
  if (getTestBackend() == Backend::mpi)
    return mpiGroup().size();
#endif
  return 0;
}

rt::Executor &mlir::tp::test::getTestExecutor(int64_t devices) {
  if (getTestBackend() == Backend::mpi) {
#ifdef TP_ENABLE_MPI
    rt::MPIGroup &group = mpiGroup();
    if (group.size() != devices) {
      std::fprintf(stderr, "the test needs %lld ranks, the MPI job has %lld\n",
                   static_cast<long long>(devices),
                   static_cast<long long>(group.size()));
      std::exit(2);
    }
    return group;
#else
    std::fprintf(stderr, "this build has no MPI backend\n");
    std::exit(2);
#endif
  }
  // One group per size, kept for the test's life: a group may run any
  // number of times.
  static std::map<int64_t, std::unique_ptr<rt::ThreadGroup>> groups;
  std::unique_ptr<rt::ThreadGroup> &group = groups[devices];
  if (!group)
    group = rt::ThreadGroup::create(devices);
  return *group;
}

std::vector<size_t> mlir::tp::test::getStageSizesToTest() {
  if (getTestBackend() == Backend::mpi)
    return {0, 4, 12, 40};
  return {0};
}

void mlir::tp::test::setStageBytes(size_t bytes) {
#ifdef TP_ENABLE_MPI
  if (getTestBackend() == Backend::mpi)
    mpiGroup().setStageBytes(bytes ? bytes : rt::MPIGroup::kDefaultStageBytes);
#else
  (void)bytes;
#endif
}
