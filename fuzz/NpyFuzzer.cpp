//===- NpyFuzzer.cpp - the .npy loader on any bytes -----------------------===//

#include "tp-mlir/IO/SafeTensors.h"

#include <cstdint>

using namespace mlir::tp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  auto tensor = parseNpy(bytes, "fuzz.npy");
  if (!tensor)
    llvm::consumeError(tensor.takeError());
  return 0;
}
