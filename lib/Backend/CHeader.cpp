//===- CHeader.cpp - the C header of an ahead-of-time compiled model ------===//

#include "tp-mlir/Backend/CPUBackend.h"

#include "tp-mlir/Dialect/TP/IR/TPOps.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <fmt/format.h>

#include <set>

using namespace mlir;
using namespace mlir::tp;

/// A C identifier made from `name` ("fc0.weight" -> "fc0_weight"); with
/// `prefixDigit`, one that starts with a digit gets "arg_" in front.
static std::string identifier(StringRef name, bool prefixDigit = true) {
  std::string id;
  for (char c : name)
    id.push_back(llvm::isAlnum(c) ? c : '_');
  if (prefixDigit && (id.empty() || llvm::isDigit(id[0])))
    id.insert(0, "arg_");
  return id;
}

bool mlir::tp::isCIdentifier(StringRef name) {
  return !name.empty() && !llvm::isDigit(name[0]) &&
         llvm::all_of(name,
                      [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

/// `text` as the body of a C string literal: quotes, backslashes and
/// question marks (trigraphs) escaped, anything unprintable in octal.
static std::string cStringBody(StringRef text) {
  std::string out;
  for (unsigned char c : text) {
    if (c == '"' || c == '\\' || c == '?') {
      out.push_back('\\');
      out.push_back(c);
    } else if (llvm::isPrint(c)) {
      out.push_back(c);
    } else {
      out += fmt::format("\\{:03o}", c);
    }
  }
  return out;
}

/// `text` inside a C block comment: no "*/" to end it early, no "/*"
/// (-Wcomment), nothing unprintable.
static std::string commentText(StringRef text) {
  std::string out;
  for (unsigned char c : text) {
    if (!out.empty() &&
        ((c == '/' && out.back() == '*') || (c == '*' && out.back() == '/')))
      out.push_back(' ');
    out.push_back(llvm::isPrint(c) ? c : '?');
  }
  return out;
}

/// The values of an array initializer; "0" for none (C has no empty
/// initializer before C23).
static std::string joined(ArrayRef<int64_t> values) {
  std::string text;
  for (auto [i, v] : llvm::enumerate(values))
    text += (i ? ", " : "") + std::to_string(ShapedType::isDynamic(v) ? -1 : v);
  return text.empty() ? "0" : text;
}

SmallVector<ArgumentManifest>
mlir::tp::getArgumentManifest(FunctionOpInterface fn, int64_t devices) {
  SmallVector<ArgumentManifest> manifest;
  for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
    auto type = cast<RankedTensorType>(fn.getArgumentTypes()[i]);
    auto name = fn.getArgAttrOfType<StringAttr>(i, TPDialect::kNameAttrName);
    auto shard = fn.getArgAttrOfType<ShardAttr>(i, TPDialect::kShardAttrName);
    ArgumentManifest &arg = manifest.emplace_back();
    arg.name = name ? name.getValue() : StringRef();
    arg.rank = type.getRank();
    arg.shape.assign(shard ? shard.getShape() : type.getShape());
    arg.offsets.assign(devices, 0);
    arg.sizes.assign(devices, 0);
    if (shard && !shard.isReplicated()) {
      arg.splitDim = *shard.getDim();
      arg.offsets.assign(shard.getOffsets().begin(), shard.getOffsets().end());
      arg.sizes.assign(shard.getSizes().begin(), shard.getSizes().end());
    }
  }
  return manifest;
}

std::string mlir::tp::emitCHeader(FunctionOpInterface fn, StringRef source,
                                  RuntimeTarget target) {
  bool gpu = target == RuntimeTarget::gpu;
  std::string entry = fn.getName().str();
  std::string upper = StringRef(identifier(entry)).upper();
  std::string lower = identifier(entry);
  int64_t devices = lookupMesh(fn).getNumDevices();
  int64_t maxRank = 1;
  for (Type t : fn.getArgumentTypes())
    maxRank = std::max<int64_t>(maxRank, cast<RankedTensorType>(t).getRank());

  std::string h;
  if (gpu)
    h += fmt::format(
        "/* {0}.h: the model @{0} of {1}, compiled ahead of time by "
        "tp-compile\n"
        "   for {2} NVIDIA GPU rank(s). Generated; do not edit.\n\n"
        "   Every rank runs _mlir_ciface_{0} with its own shards, cut from "
        "the\n"
        "   full tensors as tp_{3}_args says, in device memory of its GPU\n"
        "   (tp_rt_gpu_copy_to_device, called by the rank): on a thread of "
        "its\n"
        "   own, started with tp_rt_run_on_gpus, which binds each rank to a "
        "GPU\n"
        "   (or all to one GPU). The kernels are embedded and load when the\n"
        "   program starts. The result is in device memory: copy it with\n"
        "   tp_rt_gpu_copy_to_host and free result->allocated with\n"
        "   tp_rt_gpu_free. Descriptors that do not fit the manifest\n"
        "   (sizes, contiguous row-major strides) fail the job with a\n"
        "   message and the entry returns at once, the result's descriptor\n"
        "   zeroed. Link the object with libTPMLIRRuntimeGPU.a,\n"
        "   libTPMLIRRuntimeThreads.a, libTPMLIRRuntimeCore.a, the CUDA\n"
        "   runtime, cuBLASLt and NCCL, libstdc++, libm and pthreads. */\n"
        "#ifndef TP_MODEL_{3}_H\n#define TP_MODEL_{3}_H\n\n"
        "#include <stddef.h>\n#include <stdint.h>\n\n"
        "#ifdef __cplusplus\nextern \"C\" {{\n#endif\n\n",
        entry, commentText(source), devices, lower);
  else
    h += fmt::format(
        "/* {0}.h: the model @{0} of {1}, compiled ahead of time by "
        "tp-compile\n"
        "   for {2} device(s). Generated; do not edit.\n\n"
        "   Every rank runs _mlir_ciface_{0} with its own shards, cut from "
        "the\n"
        "   full tensors as tp_{3}_args says: on a thread of its own (start\n"
        "   them with tp_rt_run_on_threads), or in a process of its own under\n"
        "   mpirun (tp_rt_run_on_mpi). The result is allocated with malloc;\n"
        "   the caller frees result->allocated. Descriptors that do not fit\n"
        "   the manifest (sizes, contiguous row-major strides) fail the job\n"
        "   with a message and the entry returns at once, the result's\n"
        "   descriptor zeroed. Link the object with\n"
        "   libTPMLIRRuntimeThreads.a (or libTPMLIRRuntimeMPI.a and MPI),\n"
        "   libTPMLIRRuntimeBLAS.a, libTPMLIRRuntimeCore.a, OpenBLAS,\n"
        "   libstdc++, libm and pthreads. */\n"
        "#ifndef TP_MODEL_{3}_H\n#define TP_MODEL_{3}_H\n\n"
        "#include <stddef.h>\n#include <stdint.h>\n\n"
        "#ifdef __cplusplus\nextern \"C\" {{\n#endif\n\n",
        entry, commentText(source), devices, lower);
  // MLIR's C-interface memref descriptors: 1-D and 2-D, which every
  // header declares, and any other rank the entry takes or returns, each
  // once however many headers a program includes. A 0-D descriptor has no
  // sizes or strides (C has no empty arrays).
  std::set<int64_t> ranks = {1, 2};
  for (Type t :
       llvm::concat<const Type>(fn.getArgumentTypes(), fn.getResultTypes()))
    ranks.insert(cast<RankedTensorType>(t).getRank());
  h += "/* MLIR's C-interface memref descriptors. */\n";
  for (int64_t r : ranks)
    h += fmt::format("#ifndef TP_MEMREF_{0}D\n#define TP_MEMREF_{0}D\n"
                     "typedef struct {{\n  float *allocated;\n  float "
                     "*aligned;\n  int64_t offset;\n{1}}} tp_memref_{0}d;\n"
                     "#endif\n",
                     r,
                     r ? fmt::format("  int64_t sizes[{0}];\n  int64_t "
                                     "strides[{0}];\n",
                                     r)
                       : std::string());
  h += "\n#ifndef TP_RUNTIME_C_API\n#define TP_RUNTIME_C_API\n"
       "/* Runs body(rank, user) on num_ranks threads; 0, or 1 with the\n"
       "   runtime's error (naming the rank and the op) in error. */\n"
       "int tp_rt_run_on_threads(int64_t num_ranks,\n"
       "                         void (*body)(int64_t rank, void *user),\n"
       "                         void *user, char *error, size_t "
       "error_size);\n"
       "/* Runs body(rank, user) for this process's rank of an MPI job of\n"
       "   num_ranks processes (mpirun -np num_ranks); 0, or 1 with the\n"
       "   error in error. */\n"
       "int tp_rt_run_on_mpi(int64_t num_ranks,\n"
       "                     void (*body)(int64_t rank, void *user),\n"
       "                     void *user, char *error, size_t error_size);\n"
       "#endif\n\n";
  if (gpu)
    h +=
        "#ifndef TP_RUNTIME_GPU_C_API\n#define TP_RUNTIME_GPU_C_API\n"
        "/* Runs body(rank, user) for num_ranks ranks as threads, each bound\n"
        "   to a GPU (NCCL), or all sharing one GPU; 0, or 1 with the error\n"
        "   in error (\"no usable CUDA device\" on a machine without one). */\n"
        "int tp_rt_run_on_gpus(int64_t num_ranks,\n"
        "                      void (*body)(int64_t rank, void *user),\n"
        "                      void *user, char *error, size_t error_size);\n"
        "/* Device copies on the calling rank's GPU: null or 0 on failure\n"
        "   (the error is printed). */\n"
        "float *tp_rt_gpu_copy_to_device(const float *host, int64_t count);\n"
        "int tp_rt_gpu_copy_to_host(float *host, const float *device,\n"
        "                           int64_t count);\n"
        "void tp_rt_gpu_free(void *device);\n"
        "#endif\n\n";
  // The guard above is the entry's own name, so that the headers of @mlp
  // and @Mlp both declare their entries; their macros, in upper case,
  // would collide, and the second header says so instead of redefining
  // them.
  h += fmt::format(
      "#ifdef TP_{0}_NUM_DEVICES\n#error \"TP_{0}_NUM_DEVICES is already "
      "defined, by the header of another entry whose name differs from "
      "{1} only in case: rename one of the entries\"\n#endif\n"
      "#define TP_{0}_NUM_DEVICES {2}\n#define TP_{0}_NUM_ARGS {3}\n\n",
      upper, entry, devices, fn.getNumArguments());
  h += fmt::format(
      "/* How argument i of rank r is cut from the full tensor: along\n"
      "   split_dim (-1: not split, every rank gets it whole), the slice\n"
      "   [offsets[r], offsets[r] + sizes[r]). A -1 in shape is the dynamic\n"
      "   batch. */\ntypedef struct {{\n  const char *name;\n  int rank;\n"
      "  int64_t shape[{0}];\n  int split_dim;\n  int64_t offsets[{1}];\n"
      "  int64_t sizes[{1}];\n}} tp_{2}_arg_info;\n\n",
      maxRank, devices, lower);
  // C has no arrays of no elements: an entry without arguments gets no
  // table, and says why.
  if (fn.getNumArguments() == 0)
    h += fmt::format("/* The entry takes no arguments: tp_{0}_args is not "
                     "declared. */\n\n",
                     lower);
  else
    h += fmt::format("static const tp_{0}_arg_info tp_{0}_args[{1}] = {{\n",
                     lower, fn.getNumArguments());
  std::vector<std::string> params;
  // Parameter names: argI_ and an identifier made from the name, so that
  // none is a keyword of C or C++ ("int"), a type or macro declared before
  // it (tp_memref_1d, SIZE_MAX, linux), the result's, or another's (a.b
  // and a_b).
  for (auto [i, arg] : llvm::enumerate(getArgumentManifest(fn, devices))) {
    std::string label = arg.name.empty() ? "(input)" : cStringBody(arg.name);
    h += fmt::format("    {{\"{}\", {}, {{{}}}, {}, {{{}}}, {{{}}}}},\n", label,
                     arg.rank, joined(arg.shape), arg.splitDim,
                     joined(arg.offsets), joined(arg.sizes));
    std::string param = "arg" + std::to_string(i);
    if (!arg.name.empty())
      param += "_" + identifier(arg.name, /*prefixDigit=*/false);
    params.push_back(fmt::format("tp_memref_{}d *{}", arg.rank, param));
  }
  if (fn.getNumArguments() != 0)
    h += "};\n\n";
  auto resultType = cast<RankedTensorType>(fn.getResultTypes()[0]);
  h += fmt::format("void _mlir_ciface_{}(tp_memref_{}d *result", entry,
                   resultType.getRank());
  for (const std::string &p : params)
    h += ",\n    " + p;
  h += ");\n\n#ifdef __cplusplus\n}\n#endif\n\n#endif\n";
  return h;
}
