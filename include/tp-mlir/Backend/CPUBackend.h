//===- CPUBackend.h - compile partitioned tp IR for the CPU ------*- C++ -*-===//
//
// Lowers a partitioned (SPMD) module to native code with the
// tp-to-llvm-pipeline and MLIR's ExecutionEngine. Compiling is separate from
// running: the compiled entry runs one rank on the calling thread, and the
// collectives it calls go to that thread's communicator, so an executor
// (threads or MPI, Communicator.h) decides where the ranks run.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_BACKEND_CPUBACKEND_H
#define TP_MLIR_BACKEND_CPUBACKEND_H

#include "tp-mlir/Evaluator/Evaluator.h"
#include "tp-mlir/Runtime/RuntimeABI.h"
#include "tp-mlir/Support/OptionEnums.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir {
class DialectRegistry;
class ExecutionEngine;
namespace tp {

/// The dialects and interfaces the CPU lowering needs in the context: the
/// bufferization models of arith, linalg, tensor and func, and the LLVM IR
/// translations. Call before creating the context's IR.
void registerCPUBackendDialects(DialectRegistry &registry);

struct CPUCompileOptions {
  /// sgemm of the runtime's BLAS, or MLIR-generated loops.
  MatmulLowering matmul = MatmulLowering::blas;
  /// Time every compute op and collective.
  bool profile = false;
  /// LLVM optimization level of the generated code.
  unsigned optLevel = 3;
  /// Position-independent code with the small code model, for an object
  /// file that an application links (writeObjectFile); JIT code does not
  /// need it.
  bool forLinking = false;
};

class CPUModel {
public:
  /// Compiles function `entry` of the partitioned `spmdModule` (which is
  /// left unchanged). The function must return exactly one tensor.
  static FailureOr<std::unique_ptr<CPUModel>>
  compile(ModuleOp spmdModule, StringRef entry,
          const CPUCompileOptions &options);
  ~CPUModel();

  int64_t getNumDevices() const { return numDevices; }
  /// Names of the profiled regions ("compute <loc>", "communication <loc>").
  ArrayRef<std::string> getProfileNames() const { return profileNames; }

  /// Runs the calling thread's rank with its local arguments `args` and
  /// returns its result. The thread's current communicator (set by an
  /// executor) answers the collectives; when one fails, the result is
  /// meaningless and the communicator holds the error. Timers write to the
  /// thread's current profile, if any. Fails, with `error` set, when the
  /// arguments do not fit the compiled function.
  FailureOr<Tensor> invoke(ArrayRef<Tensor> args, std::string &error) const;

  /// Writes the compiled code as an object file (compiled with forLinking).
  /// Fails, saying why, when the file cannot be written.
  llvm::Error writeObjectFile(StringRef path);

private:
  CPUModel() = default;
  std::unique_ptr<ExecutionEngine> engine;
  void (*function)(void **) = nullptr;
  int64_t numDevices = 1;
  unsigned numArgs = 0;
  SmallVector<SmallVector<int64_t>> argShapes;
  int64_t resultRank = 0;
  std::vector<std::string> profileNames;
};

/// The C header of an ahead-of-time compiled model: the entry point
/// `_mlir_ciface_<entry>`, the memref descriptor types, the device count,
/// and the manifest of every argument (name, full shape, split dim, and the
/// offset and size of each rank's slice).
std::string emitCHeader(FunctionOpInterface spmdFn, StringRef source);

} // namespace tp
} // namespace mlir

#endif // TP_MLIR_BACKEND_CPUBACKEND_H
