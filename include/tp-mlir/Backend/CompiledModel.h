//===- CompiledModel.h - a partitioned model compiled for a target -*- C++
//-*-===//
//
// What every backend's compiled model offers a driver. A compiled model runs
// one rank on the calling thread; the executor that started the thread
// (Communicator.h, GPU.h) decides where the ranks run, and its communicator
// answers the collectives. Running is split in three, so that a backend
// keeps its data where it computes:
//
//   placeArguments  a rank's arguments, written once into the memory its
//                   code reads (host memory for the CPU; the rank's GPU,
//                   straight from the memory-mapped weights file, for the
//                   GPU);
//   run             one iteration; the result stays where it was computed,
//                   and run returns only when it is complete;
//   takeResult      the last result, in host memory.
//
// The JIT engine, the checks of the entry function and the object file are
// common; the pipeline, the runtime symbols and the data movement are each
// backend's.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_BACKEND_COMPILEDMODEL_H
#define TP_MLIR_BACKEND_COMPILEDMODEL_H

#include "tp-mlir/Dialect/TP/IR/TPPackedWeights.h"
#include "tp-mlir/Evaluator/Tensor.h"
#include "tp-mlir/Runtime/RuntimeABI.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/FunctionExtras.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace llvm {
class Module;
} // namespace llvm

namespace mlir {
class ExecutionEngine;
class OpPassManager;
namespace tp {

/// The LLVM optimization level of compiled code. O2 and O3 measured alike
/// (docs/performance.md): run time within the machine's noise on the
/// benchmark chains, compile time within 10% once functions are cut into
/// segments (tp-outline-segments).
inline constexpr unsigned kDefaultOptLevel = 3;

/// One argument of a rank, for a backend to place: its shape and a writer
/// that hands its packed row-major bytes to a sink, piece by piece (`at` is
/// the byte offset of the piece in the packed argument).
struct ArgumentWriter {
  using Sink =
      llvm::function_ref<void(int64_t at, const char *bytes, int64_t size)>;
  SmallVector<int64_t> shape;
  std::function<llvm::Error(Sink)> write;
};

class CompiledModel {
public:
  virtual ~CompiledModel();

  int64_t getNumDevices() const { return numDevices; }
  /// Names of the profiled regions ("compute <loc>", "communication <loc>").
  ArrayRef<std::string> getProfileNames() const { return profileNames; }
  /// The arguments the compiled entry takes packed; the backend packs them
  /// where it places them.
  ArrayRef<PackedWeight> getPackedWeights() const { return packedWeights; }
  /// The target, for reports: "the CPU", "the GPU (sm_90)".
  virtual std::string describeTarget() const = 0;

  /// A rank's placed arguments and its last result.
  class RankState {
  public:
    virtual ~RankState();
  };
  /// Places the calling rank's arguments; null, with `error` set, when they
  /// do not fit the compiled function or cannot be written.
  virtual std::unique_ptr<RankState>
  placeArguments(ArrayRef<ArgumentWriter> args, std::string &error) const = 0;
  /// Runs one iteration of the calling rank. Fails, with `error` set, on an
  /// error of the target (a CUDA error); when a collective fails, the
  /// thread's communicator holds the error.
  virtual LogicalResult run(RankState &state, std::string &error) const = 0;
  /// The result of the last run, in host memory.
  virtual FailureOr<Tensor> takeResult(RankState &state,
                                       std::string &error) const = 0;

  /// The compiled code as an object file's bytes (compiled for linking);
  /// an error when the model was compiled to run here instead.
  llvm::Expected<StringRef> getObjectFile() const;

protected:
  CompiledModel();

  /// How compile() lowers and links for a target.
  struct Target {
    /// Adds the lowering to the LLVM dialect.
    std::function<void(OpPassManager &)> addPipeline;
    /// The runtime's C functions that compiled code calls.
    std::vector<rt::RuntimeSymbol> symbols;
    /// Emit a position-independent object file that an application links
    /// (getObjectFile) instead of JIT-compiling: nothing is loaded or run
    /// here, so no GPU is needed to compile for one.
    bool forLinking = false;
    unsigned optLevel = kDefaultOptLevel;
  };
  /// Checks that `entry` of `spmdModule` is a partitioned function taking
  /// and returning f32 tensors (one result), lowers a copy, JIT-compiles it
  /// (running its constructors) or emits its object, and fills the fields
  /// below. Diagnostics go to the context.
  LogicalResult compile(ModuleOp spmdModule, StringRef entry,
                        const Target &target);
  /// Translates the lowered `module` to LLVM IR, optimizes it at
  /// `optLevel` for this host and emits a relocatable object into
  /// objectCode.
  LogicalResult emitObject(ModuleOp module, FunctionOpInterface fn,
                           unsigned optLevel);
  /// Whether `count` arguments of shapes `shapeOf(i)` fit the compiled
  /// function; else `error` says why.
  bool checkArguments(size_t count,
                      llvm::function_ref<ArrayRef<int64_t>(size_t)> shapeOf,
                      std::string &error) const;
  bool checkArguments(ArrayRef<ArgumentWriter> args, std::string &error) const {
    return checkArguments(
        args.size(), [&](size_t i) { return ArrayRef<int64_t>(args[i].shape); },
        error);
  }
  /// Calls the compiled entry: `resultDescriptor` receives the result's
  /// memref descriptor; `argDescriptors` are the arguments'.
  void call(void *resultDescriptor, ArrayRef<void *> argDescriptors) const;

  std::unique_ptr<ExecutionEngine> engine;
  void (*function)(void **) = nullptr;
  /// The entry that takes the result's and the arguments' descriptors as
  /// one array, where the lowering made one (rt::entry::kPackedSuffix).
  void (*arrayFunction)(void **) = nullptr;
  int64_t numDevices = 1;
  unsigned numArgs = 0;
  SmallVector<SmallVector<int64_t>> argShapes;
  /// Arguments the compiled entry takes packed (tp.packed_weights): a
  /// backend packs each where it places it. argShapes keeps their shapes
  /// as the caller has them.
  SmallVector<PackedWeight> packedWeights;
  int64_t resultRank = 0;
  std::vector<std::string> profileNames;
  /// The object file of a model compiled for linking (which has no engine).
  std::vector<char> objectCode;
};

/// A C-interface memref descriptor of any rank:
/// {allocated, aligned, offset, sizes[rank], strides[rank]}.
class MemRefDescriptor {
public:
  explicit MemRefDescriptor(int64_t rank)
      : words(3 + 2 * rank, 0), rank(rank) {}
  /// Describes row-major data of `shape` at `data` (not copied).
  MemRefDescriptor(float *data, ArrayRef<int64_t> shape);
  void *get() { return words.data(); }

  int64_t getRank() const { return rank; }
  void *getAllocated() const { return reinterpret_cast<void *>(words[0]); }
  float *getData() const {
    return reinterpret_cast<float *>(words[1]) + words[2];
  }
  ArrayRef<int64_t> getSizes() const {
    return ArrayRef<int64_t>(words).slice(3, rank);
  }
  ArrayRef<int64_t> getStrides() const {
    return ArrayRef<int64_t>(words).slice(3 + rank, rank);
  }

private:
  std::vector<int64_t> words;
  int64_t rank;
};

} // namespace tp
} // namespace mlir

#endif // TP_MLIR_BACKEND_COMPILEDMODEL_H
