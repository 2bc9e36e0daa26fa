//===- Communicator.cpp - what every runtime backend shares ---------------===//

#include "tp-mlir/Runtime/Communicator.h"

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "tp-mlir/Support/Limits.h"

using namespace mlir::tp::rt;

const char *mlir::tp::rt::stringifyReduction(Reduction op) {
  switch (op) {
  case Reduction::Sum:
    return "sum";
  case Reduction::Prod:
    return "prod";
  case Reduction::Max:
    return "max";
  case Reduction::Min:
    return "min";
  }
  return "unknown";
}

Communicator::~Communicator() = default;

int64_t Communicator::pushStarted() {
  if (static_cast<int64_t>(started.size()) >= kMaxInFlight) {
    abort("an asynchronous collective was started with " +
          std::to_string(started.size()) + " already in flight; at most " +
          std::to_string(kMaxInFlight) + " may be");
    return 0;
  }
  started.push_back(++lastHandle);
  return lastHandle;
}

bool Communicator::popStarted(int64_t handle) {
  if (started.empty() || started.front() != handle) {
    abort("tp.wait on asynchronous collective #" + std::to_string(handle) +
          (started.empty() ? std::string(", but none is in flight")
                           : ", but #" + std::to_string(started.front()) +
                                 " is the oldest in flight; collectives "
                                 "complete in the order they start"));
    return false;
  }
  started.erase(started.begin());
  return true;
}

int64_t Communicator::startAllReduce(const float *in, float *out, int64_t count,
                                     Reduction op) {
  if (failed())
    return 0;
  int64_t handle = pushStarted();
  if (handle)
    allReduce(in, out, count, op);
  return handle;
}

int64_t Communicator::startAllGather(const float *in, float *out, int64_t outer,
                                     int64_t extent, int64_t inner,
                                     int64_t total) {
  if (failed())
    return 0;
  int64_t handle = pushStarted();
  if (handle)
    allGather(in, out, outer, extent, inner, total);
  return handle;
}

void Communicator::wait(int64_t handle) {
  if (!failed())
    popStarted(handle);
}
Executor::~Executor() = default;

static thread_local Communicator *current = nullptr;
Communicator *mlir::tp::rt::currentCommunicator() { return current; }
void mlir::tp::rt::setCurrentCommunicator(Communicator *comm) {
  current = comm;
}

/// TP_RT_TIMEOUT_MS as milliseconds, or nullopt when it is not a whole
/// number in range.
static std::optional<int64_t> parseTimeout(const char *text) {
  if (!*text)
    return std::nullopt;
  int64_t ms = 0;
  for (const char *c = text; *c; ++c) {
    if (*c < '0' || *c > '9')
      return std::nullopt;
    ms = ms * 10 + (*c - '0');
    if (ms > mlir::tp::kMaxTimeoutMs)
      return std::nullopt;
  }
  if (ms < 1)
    return std::nullopt;
  return ms;
}

std::chrono::milliseconds mlir::tp::rt::defaultTimeout() {
  if (const char *env = std::getenv("TP_RT_TIMEOUT_MS"))
    if (std::optional<int64_t> ms = parseTimeout(env))
      return std::chrono::milliseconds(*ms);
  return std::chrono::milliseconds(60000);
}

std::string mlir::tp::rt::checkTimeoutEnvironment() {
  const char *env = std::getenv("TP_RT_TIMEOUT_MS");
  if (!env || parseTimeout(env))
    return "";
  return "TP_RT_TIMEOUT_MS must be a whole number of milliseconds from 1 to " +
         std::to_string(mlir::tp::kMaxTimeoutMs) + " (7 days), got '" + env +
         "'";
}

std::string mlir::tp::rt::checkRunRequest(bool hasBody, int64_t numRanks,
                                          int64_t maxRanks,
                                          const char *backend) {
  if (!hasBody)
    return "no body to run on the ranks: the function pointer is null";
  if (numRanks < 1 || numRanks > maxRanks)
    return std::to_string(numRanks) + " ranks requested; " + backend +
           " run 1 to " + std::to_string(maxRanks) + " ranks";
  return checkTimeoutEnvironment();
}

int mlir::tp::rt::reportRunError(char *error, size_t errorSize,
                                 const std::string &message) {
  if (error && errorSize > 0)
    std::snprintf(error, errorSize, "%s", message.c_str());
  else
    std::fprintf(stderr, "%s\n", message.c_str());
  return 1;
}
