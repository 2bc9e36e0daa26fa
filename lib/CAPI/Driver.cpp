//===- Driver.cpp - compile and run a tp model, from C --------------------===//
//
// The C face of the driver library: the same steps as tp-run (Model,
// PartitionedModel, compileFor, createExecutor, Session), with the
// arguments from the caller's host buffers. Diagnostics of the compile are
// collected into the caller's error buffer instead of printed.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir-c/Driver.h"

#include "tp-mlir/Driver/Driver.h"

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Support.h"
#include "mlir/IR/Diagnostics.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstring>
#include <mutex>

using namespace mlir;
using namespace mlir::tp;

namespace {
struct CompiledState {
  /// Held by each run: the ranks are one group, which runs one program at
  /// a time (two callers' runs at once waited for each other forever).
  std::mutex running;
  std::optional<Model> model;
  std::optional<PartitionedModel> program;
  std::unique_ptr<CompiledModel> compiled;
  std::unique_ptr<rt::Executor> executor;
};

CompiledState *unwrapModel(TpCompiledModel model) {
  return static_cast<CompiledState *>(model.ptr);
}

/// Copies `message` into the caller's buffer; returns `result`.
template <typename T>
T fail(char *error, size_t errorSize, const std::string &message, T result) {
  if (error && errorSize)
    std::snprintf(error, errorSize, "%s", message.c_str());
  return result;
}

/// Collects the errors the context reports while it lives.
class DiagnosticCollector {
public:
  explicit DiagnosticCollector(MLIRContext *context)
      : handler(context, [this](Diagnostic &diag) {
          if (diag.getSeverity() == DiagnosticSeverity::Error) {
            std::string loc;
            llvm::raw_string_ostream os(loc);
            diag.getLocation().print(os);
            text += (text.empty() ? "" : "; ") + loc + ": " + diag.str();
          }
          return success();
        }) {}
  std::string take(const std::string &fallback) {
    return text.empty() ? fallback : text;
  }

private:
  std::string text;
  ScopedDiagnosticHandler handler;
};
} // namespace

TpCompiledModel tpCompile(MlirModule module, MlirStringRef entry,
                          int64_t devices, TpStrategy strategy,
                          TpBackend backend, char *error, size_t errorSize) {
  TpCompiledModel none{nullptr};
  if (mlirModuleIsNull(module))
    return fail(error, errorSize, "tpCompile: the module is null", none);
  if (!entry.data && entry.length)
    return fail(error, errorSize,
                fmt::format("tpCompile: the entry's name is a null pointer "
                            "with a length of {}",
                            entry.length),
                none);
  ModuleOp op = unwrap(module);
  std::optional<PartitionStrategy> kind =
      symbolizePartitionStrategy(static_cast<uint32_t>(strategy));
  std::optional<Backend> target =
      symbolizeBackend(static_cast<uint32_t>(backend));
  if (!kind)
    return fail(error, errorSize,
                fmt::format("tpCompile: unknown strategy {}", int(strategy)),
                none);
  if (!target || *target == Backend::evaluator)
    return fail(error, errorSize,
                fmt::format("tpCompile: unknown backend {}; expected threads "
                            "(0), mpi (1), gpu (3) or gpu-mpi (4)",
                            int(backend)),
                none);
  if (devices < 0)
    return fail(error, errorSize, fmt::format("tpCompile: {} devices", devices),
                none);

  DiagnosticCollector diagnostics(op.getContext());
  auto state = std::make_unique<CompiledState>();
  std::string message;
  // The ranks of a job of processes start first: they fix D.
  bool job = *target == Backend::mpi || *target == Backend::gpu_mpi;
  if (job) {
    state->executor = createExecutor(*target, devices, message);
    if (!state->executor)
      return fail(error, errorSize, message, none);
  }
  FailureOr<Model> model = Model::adopt(OwningOpRef<ModuleOp>(op.clone()),
                                        "<C API module>", unwrap(entry));
  if (failed(model))
    return fail(error, errorSize,
                diagnostics.take("the module is not a valid tp model"), none);
  state->model.emplace(std::move(*model));
  if (devices == 0)
    devices = job ? state->executor->size()
                  : std::max<int64_t>(state->model->getMeshDevices(), 1);
  if (!job) {
    state->executor = createExecutor(*target, devices, message);
    if (!state->executor)
      return fail(error, errorSize, message, none);
  }
  if (state->executor->size() != devices)
    return fail(error, errorSize,
                fmt::format("the model is partitioned for {} devices, but the "
                            "job has {} ranks",
                            devices, state->executor->size()),
                none);
  // The planner prices the matmuls that will run on this target.
  PlannerOptions plan;
  plan.matmul = resolveMatmulLowering(std::nullopt, isGPUBackend(*target));
  FailureOr<PartitionedModel> program = PartitionedModel::create(
      *state->model, devices, *kind, /*optimizeCollectives=*/true, plan);
  if (failed(program))
    return fail(error, errorSize, diagnostics.take("partitioning failed"),
                none);
  state->program.emplace(std::move(*program));
  CompileOptions options;
  options.profile = false;
  FailureOr<std::unique_ptr<CompiledModel>> compiled =
      compileFor(*target, *state->program, options, message);
  if (failed(compiled))
    return fail(
        error, errorSize,
        message.empty() ? diagnostics.take("compiling failed") : message, none);
  state->compiled = std::move(*compiled);
  return TpCompiledModel{state.release()};
}

int64_t tpCompiledModelGetNumDevices(TpCompiledModel model) {
  if (tpCompiledModelIsNull(model))
    return -1;
  return unwrapModel(model)->program->getNumDevices();
}

intptr_t tpCompiledModelGetNumArguments(TpCompiledModel model) {
  if (tpCompiledModelIsNull(model))
    return -1;
  return unwrapModel(model)->model->getNumArguments();
}

int tpRun(TpCompiledModel model, intptr_t numArgs, const TpHostTensor *args,
          float *output, int64_t outputCapacity, int64_t *outputShape,
          intptr_t outputRank, bool check, char *error, size_t errorSize) {
  if (tpCompiledModelIsNull(model))
    return fail(error, errorSize, "tpRun: the model is null", 1);
  CompiledState &state = *unwrapModel(model);
  if (numArgs < 0 || (numArgs > 0 && !args))
    return fail(error, errorSize, "tpRun: no arguments given", 1);
  // Without buffers the driver would make random arguments, which is
  // tp-run's default, not a caller's run.
  if (intptr_t want = state.model->getNumArguments(); numArgs != want)
    return fail(error, errorSize,
                fmt::format("tpRun: @{} takes {} argument{}, {} buffer{} "
                            "given",
                            state.model->getEntry().getName().str(), want,
                            want == 1 ? "" : "s", numArgs,
                            numArgs == 1 ? " was" : "s were"),
                1);
  if (outputCapacity < 0 || outputRank < 0 || (outputCapacity > 0 && !output) ||
      (outputRank > 0 && !outputShape))
    return fail(error, errorSize,
                fmt::format("tpRun: the output buffer is null or negative "
                            "(output {}, capacity {}, shape {}, rank {})",
                            output ? "given" : "null", outputCapacity,
                            outputShape ? "given" : "null", outputRank),
                1);
  std::lock_guard<std::mutex> lock(state.running);
  ArgumentOptions options;
  FunctionOpInterface fn = state.model->getEntry();
  for (intptr_t i = 0; i < numArgs; ++i) {
    if (args[i].rank < 0 || (args[i].rank > 0 && !args[i].shape))
      return fail(error, errorSize,
                  fmt::format("tpRun: argument #{} has no shape", i), 1);
    // Only that many dims of the caller's shape are read.
    auto type = cast<RankedTensorType>(fn.getArgumentTypes()[i]);
    if (args[i].rank != type.getRank())
      return fail(error, errorSize,
                  fmt::format("tpRun: buffer #{} has {} dimensions, but "
                              "argument #{} of @{} has {}",
                              i, args[i].rank, i, fn.getName().str(),
                              type.getRank()),
                  1);
    options.buffers.push_back(
        {args[i].data,
         SmallVector<int64_t>(args[i].shape, args[i].shape + args[i].rank)});
  }
  llvm::Expected<ArgumentSource> source =
      ArgumentSource::create(*state.model, options);
  if (!source)
    return fail(error, errorSize, llvm::toString(source.takeError()), 1);
  if (std::string message =
          checkRunMemory(*source, *state.program, state.executor->localRanks());
      !message.empty())
    return fail(error, errorSize, "tpRun: " + message, 1);
  Session session(*state.model, *state.program, *source, state.compiled.get());
  RunOptions run;
  run.check = check;
  std::string message;
  FailureOr<RunResult> result = session.run(*state.executor, run, message);
  if (failed(result))
    return fail(error, errorSize, message, 1);
  // Every rank holds the whole output; this process's first rank answers.
  const SmallVector<Tensor> &outputs = result->outputs.front().second;
  const Tensor &out = outputs.front();
  if (out.getRank() > outputRank || out.getNumElements() > outputCapacity)
    return fail(error, errorSize,
                fmt::format("tpRun: the output has shape {} ({} floats), the "
                            "caller's buffer holds {} floats in {} dims",
                            out.shapeString(), out.getNumElements(),
                            outputCapacity, outputRank),
                1);
  std::copy(out.data.begin(), out.data.end(), output);
  // The entries past the output's rank are zeroed: the caller learns the
  // rank so. outputRank is the capacity the caller declared.
  for (intptr_t d = 0; d < outputRank; ++d)
    outputShape[d] = d < out.getRank() ? out.shape[d] : 0;
  if (result->check && !result->check->passed())
    return fail(error, errorSize,
                describeCheck(*result->check, out.shape,
                              state.program->getNumDevices()),
                1);
  return 0;
}

void tpCompiledModelDestroy(TpCompiledModel model) {
  delete unwrapModel(model);
}
