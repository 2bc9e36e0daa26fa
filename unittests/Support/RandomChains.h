//===- RandomChains.h - random chains for property tests --------*- C++ -*-===//
//
// Random model-level chains (depth 1-8, widths 1-300 with primes and widths
// at most D, batch 1-64, D 1-8, every activation, fused and standalone, every
// strategy and mixed hand annotations), each fully determined by its seed.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_UNITTESTS_SUPPORT_RANDOMCHAINS_H
#define TP_MLIR_UNITTESTS_SUPPORT_RANDOMCHAINS_H

#include "tp-mlir/Evaluator/Tensor.h"
#include "tp-mlir/Support/OptionEnums.h"

#include "mlir/Interfaces/FunctionInterfaces.h"

#include <cstdint>
#include <string>

namespace mlir::tp::test {

struct Case {
  uint64_t seed;
  int64_t devices, batch;
  std::string strategy; // row, column, alternate, replicated, or mixed
  bool optimize, fuse;
  std::string source;

  /// One line of parameters, then the model.
  std::string describe() const;
  /// The tp-set-strategy option for this case ("mixed" fills with
  /// alternate).
  PartitionStrategy strategyOption() const {
    return strategy == "mixed" ? PartitionStrategy::alternate
                               : *symbolizePartitionStrategy(strategy);
  }
};

Case makeCase(uint64_t seed);

/// Full-size random arguments for the model function `fn` of case `c`.
SmallVector<Tensor> makeArguments(FunctionOpInterface fn, const Case &c);

} // namespace mlir::tp::test

#endif // TP_MLIR_UNITTESTS_SUPPORT_RANDOMCHAINS_H
