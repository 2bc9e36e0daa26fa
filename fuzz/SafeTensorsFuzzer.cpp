//===- SafeTensorsFuzzer.cpp - the safetensors loader on any bytes --------===//
//
// Opens the bytes as a safetensors file and reads every tensor it lists,
// whole and as slices along its first and last dimension, as ranks do.
// Every outcome but a crash, a sanitizer report or a hang is fine.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/IO/SafeTensors.h"

#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>

using namespace mlir::tp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  auto file = SafeTensorsFile::fromBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(bytes, "fuzz"), "fuzz");
  if (!file) {
    llvm::consumeError(file.takeError());
    return 0;
  }
  for (const auto &entry : (*file)->entries()) {
    llvm::ArrayRef<int64_t> shape = entry.getValue().shape;
    auto whole = (*file)->read(entry.getKey(), shape);
    if (!whole)
      llvm::consumeError(whole.takeError());
    if (shape.empty() || shape[0] == 0)
      continue;
    for (int64_t dim : {int64_t(0), int64_t(shape.size()) - 1}) {
      int64_t extent = shape[dim];
      auto half = (*file)->read(entry.getKey(), shape, dim, extent / 2,
                                extent - extent / 2);
      if (!half)
        llvm::consumeError(half.takeError());
    }
  }
  return 0;
}
