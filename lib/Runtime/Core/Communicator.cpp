//===- Communicator.cpp - what every runtime backend shares ---------------===//

#include "tp-mlir/Runtime/Communicator.h"

#include <cstdlib>

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
Executor::~Executor() = default;

static thread_local Communicator *current = nullptr;
Communicator *mlir::tp::rt::currentCommunicator() { return current; }
void mlir::tp::rt::setCurrentCommunicator(Communicator *comm) {
  current = comm;
}

std::chrono::milliseconds mlir::tp::rt::defaultTimeout() {
  if (const char *env = std::getenv("TP_RT_TIMEOUT_MS")) {
    long long ms = std::atoll(env);
    if (ms > 0)
      return std::chrono::milliseconds(ms);
  }
  return std::chrono::milliseconds(60000);
}
