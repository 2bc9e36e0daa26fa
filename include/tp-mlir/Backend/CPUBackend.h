//===- CPUBackend.h - compile partitioned tp IR for the CPU ------*- C++
//-*-===//
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

#include "tp-mlir/Backend/CompiledModel.h"
#include "tp-mlir/Evaluator/Evaluator.h"
#include "tp-mlir/Runtime/RuntimeABI.h"
#include "tp-mlir/Support/OptionEnums.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <optional>
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
  /// By shape (auto), MLIR-generated loops, or sgemm of the runtime's BLAS.
  MatmulLowering matmul = MatmulLowering::automatic;
  /// tp-overlap-collectives with this many chunks; 0: not run.
  int64_t overlapChunks = 0;
  /// tp-approximate-math: tanh, erf, exp, expm1 and log1p without libm calls.
  bool approximateMath = true;
  /// Codegen matmuls: f32 lanes of the register tile; 0: the host's.
  int64_t matmulVectorLanes = 0;
  /// Time every compute op and collective.
  bool profile = false;
  /// LLVM optimization level of the generated code.
  unsigned optLevel = kDefaultOptLevel;
  /// Position-independent code with the small code model, for an object
  /// file that an application links (writeObjectFile); JIT code does not
  /// need it.
  bool forLinking = false;
  /// The entry takes each weight that only generated matmuls read as their
  /// packed panels (tp-tile-matmuls' pack-weights-ahead): placeArguments
  /// packs it once, and no run packs it again. Calls that pass their
  /// arguments each time (invoke) pack them on every call. Not for
  /// linking: an application passes its weights as they are.
  bool packWeightsAhead = false;
};

class CPUModel final : public CompiledModel {
public:
  /// Compiles function `entry` of the partitioned `spmdModule` (which is
  /// left unchanged). The function must return exactly one tensor.
  static FailureOr<std::unique_ptr<CPUModel>>
  compile(ModuleOp spmdModule, StringRef entry,
          const CPUCompileOptions &options);
  ~CPUModel() override;

  std::string describeTarget() const override { return "the CPU"; }
  std::unique_ptr<RankState> placeArguments(ArrayRef<ArgumentWriter> args,
                                            std::string &error) const override;
  LogicalResult run(RankState &state, std::string &error) const override;
  FailureOr<Tensor> takeResult(RankState &state,
                               std::string &error) const override;

  /// Runs the calling thread's rank with its local arguments `args` and
  /// returns its result: placeArguments, run and takeResult in one. The
  /// thread's current communicator (set by an executor) answers the
  /// collectives; when one fails, the result is meaningless and the
  /// communicator holds the error. Timers write to the thread's current
  /// profile, if any. Fails, with `error` set, when the arguments do not fit
  /// the compiled function.
  FailureOr<Tensor> invoke(ArrayRef<Tensor> args, std::string &error) const;
  /// invoke, with the arguments passed by pointer, and the result freed
  /// unread: what a timing loop calls, with no copy on either side.
  LogicalResult invokeDiscardingResult(ArrayRef<const Tensor *> args,
                                       std::string &error) const;

private:
  CPUModel() = default;
  /// Calls the entry on `args` in place; the result's descriptor, whose
  /// allocation the caller owns, or nullopt when the arguments do not fit.
  std::optional<MemRefDescriptor> callInPlace(ArrayRef<const Tensor *> args,
                                              std::string &error) const;
  /// How the entry takes argument `argument` packed, or null.
  const PackedWeight *packedWeight(size_t argument) const;
  /// `weight` packed as `w` says.
  static Tensor packWeight(const PackedWeight &w, const Tensor &weight);
};

/// Whether `name` is a C identifier: letters, digits and underscores, not
/// starting with a digit. An entry point must be one for its C interface,
/// `_mlir_ciface_<name>`, to be declared in C.
bool isCIdentifier(StringRef name);

/// How one argument of a partitioned function is cut from its full tensor,
/// as the C header's manifest and the entry's check of its caller's
/// descriptors (tp_rt_check_entry) both state it.
struct ArgumentManifest {
  /// The argument's tp.name; empty for the input.
  StringRef name;
  int64_t rank = 0;
  /// The full tensor's shape, ShapedType::kDynamic for the batch.
  SmallVector<int64_t> shape;
  /// -1 where every rank holds the whole tensor; else per rank the slice
  /// [offsets[r], offsets[r] + sizes[r]) along it.
  int64_t splitDim = -1;
  SmallVector<int64_t> offsets, sizes;
};
/// Every argument's manifest, in order, for `devices` ranks.
SmallVector<ArgumentManifest> getArgumentManifest(FunctionOpInterface spmdFn,
                                                  int64_t devices);

/// The C header of an ahead-of-time compiled model: the entry point
/// `_mlir_ciface_<entry>`, the memref descriptor types, the device count,
/// and the manifest of every argument (name, full shape, split dim, and the
/// offset and size of each rank's slice). For the GPU target it also
/// declares the GPU runtime's C functions (GPU.h).
std::string emitCHeader(FunctionOpInterface spmdFn, StringRef source,
                        RuntimeTarget target = RuntimeTarget::host);

} // namespace tp
} // namespace mlir

#endif // TP_MLIR_BACKEND_CPUBACKEND_H
