//===- GPUMatmul.cpp - local matmuls through cuBLASLt ---------------------===//
//
// y = epilogue(x w^T + b) for row-major x (M x K), w (N x K), y (M x N), any
// row strides. In cuBLASLt's column-major terms this is D (N x M) = w^T' x'
// where w' and x' are the column-major views of the row-major buffers:
// A = w' (K x N) transposed, B = x' (K x M), and the bias, one per row of D,
// is one per output feature. FP32 compute unless the group allows TF32.
// Plans (descriptors, layouts and the heuristic's algorithm) are cached per
// shape, stride and operand alignment on each rank: a slice of a buffer may
// be less aligned than the 256 bytes cuBLASLt otherwise assumes.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Runtime/GPU.h"

#include "GPUState.h"
#include "tp-mlir/Runtime/EntryPoints.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace mlir::tp::rt;
using entry::GPUEpilogue;

namespace {
/// Records a failure of the current rank (the first one wins); false.
bool fail(GPURank &rank, const char *what, const std::string &message) {
  if (rank.error.empty())
    rank.error = describeRankError(what, message);
  return false;
}

bool checkLt(GPURank &rank, cublasStatus_t status, const char *what) {
  if (status == CUBLAS_STATUS_SUCCESS)
    return true;
  return fail(rank, what, cublasLtGetStatusName(status));
}

std::optional<cublasLtEpilogue_t> toLt(int32_t epilogue, bool bias) {
  switch (static_cast<GPUEpilogue>(epilogue)) {
  case GPUEpilogue::None:
    return bias ? CUBLASLT_EPILOGUE_BIAS : CUBLASLT_EPILOGUE_DEFAULT;
  case GPUEpilogue::Relu:
    return bias ? CUBLASLT_EPILOGUE_RELU_BIAS : CUBLASLT_EPILOGUE_RELU;
  case GPUEpilogue::GeluTanh:
    return bias ? CUBLASLT_EPILOGUE_GELU_BIAS : CUBLASLT_EPILOGUE_GELU;
  }
  return std::nullopt;
}

/// The largest power of two up to 256 that divides the address.
int64_t alignmentOf(const void *pointer) {
  auto address = reinterpret_cast<uintptr_t>(pointer);
  int64_t alignment = 256;
  while (alignment > 1 && address % alignment)
    alignment /= 2;
  return alignment;
}

struct Problem {
  int64_t m, n, k, ldx, ldw, ldy;
  const float *x, *w, *b;
  float *y;
  cublasLtEpilogue_t epilogue;
};

void destroy(MatmulPlan &plan) {
  if (plan.desc)
    cublasLtMatmulDescDestroy(plan.desc);
  for (cublasLtMatrixLayout_t layout : {plan.a, plan.b, plan.c})
    if (layout)
      cublasLtMatrixLayoutDestroy(layout);
  plan = MatmulPlan();
}

/// Fills `plan` for `p`; false, with the rank's error set, when cuBLASLt has
/// no algorithm or refuses a descriptor.
bool makePlan(GPURank &rank, const Problem &p, MatmulPlan &plan) {
  cublasComputeType_t compute =
      rank.tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  if (!checkLt(rank, cublasLtMatmulDescCreate(&plan.desc, compute, CUDA_R_32F),
               "cublasLtMatmulDescCreate"))
    return false;
  cublasOperation_t transA = CUBLAS_OP_T, transB = CUBLAS_OP_N;
  if (!checkLt(rank,
               cublasLtMatmulDescSetAttribute(plan.desc,
                                              CUBLASLT_MATMUL_DESC_TRANSA,
                                              &transA, sizeof(transA)),
               "setting TRANSA") ||
      !checkLt(rank,
               cublasLtMatmulDescSetAttribute(plan.desc,
                                              CUBLASLT_MATMUL_DESC_TRANSB,
                                              &transB, sizeof(transB)),
               "setting TRANSB") ||
      !checkLt(rank,
               cublasLtMatmulDescSetAttribute(plan.desc,
                                              CUBLASLT_MATMUL_DESC_EPILOGUE,
                                              &p.epilogue, sizeof(p.epilogue)),
               "setting the epilogue"))
    return false;
  // The heuristic reads the bias pointer to learn its alignment.
  if (p.b && !checkLt(rank,
                      cublasLtMatmulDescSetAttribute(
                          plan.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &p.b,
                          sizeof(p.b)),
                      "setting the bias"))
    return false;
  if (!checkLt(rank,
               cublasLtMatrixLayoutCreate(&plan.a, CUDA_R_32F, p.k, p.n, p.ldw),
               "the layout of W") ||
      !checkLt(rank,
               cublasLtMatrixLayoutCreate(&plan.b, CUDA_R_32F, p.k, p.m, p.ldx),
               "the layout of x") ||
      !checkLt(rank,
               cublasLtMatrixLayoutCreate(&plan.c, CUDA_R_32F, p.n, p.m, p.ldy),
               "the layout of y"))
    return false;
  cublasLtMatmulPreference_t preference = nullptr;
  if (!checkLt(rank, cublasLtMatmulPreferenceCreate(&preference),
               "cublasLtMatmulPreferenceCreate"))
    return false;
  size_t workspace = rank.workspaceSize;
  uint32_t alignA = alignmentOf(p.w), alignB = alignmentOf(p.x),
           alignC = alignmentOf(p.y);
  bool ok =
      checkLt(rank,
              cublasLtMatmulPreferenceSetAttribute(
                  preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                  &workspace, sizeof(workspace)),
              "setting the workspace") &&
      checkLt(rank,
              cublasLtMatmulPreferenceSetAttribute(
                  preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES,
                  &alignA, sizeof(alignA)),
              "setting the alignment of W") &&
      checkLt(rank,
              cublasLtMatmulPreferenceSetAttribute(
                  preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES,
                  &alignB, sizeof(alignB)),
              "setting the alignment of x") &&
      checkLt(rank,
              cublasLtMatmulPreferenceSetAttribute(
                  preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES,
                  &alignC, sizeof(alignC)),
              "setting the alignment of y") &&
      checkLt(rank,
              cublasLtMatmulPreferenceSetAttribute(
                  preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES,
                  &alignC, sizeof(alignC)),
              "setting the alignment of y");
  cublasLtMatmulHeuristicResult_t result;
  int found = 0;
  ok = ok && checkLt(rank,
                     cublasLtMatmulAlgoGetHeuristic(
                         rank.lt, plan.desc, plan.a, plan.b, plan.c, plan.c,
                         preference, 1, &result, &found),
                     "cublasLtMatmulAlgoGetHeuristic");
  cublasLtMatmulPreferenceDestroy(preference);
  if (!ok)
    return false;
  if (found == 0)
    return fail(rank, "a matmul",
                "cuBLASLt has no algorithm for " + std::to_string(p.m) + "x" +
                    std::to_string(p.k) + " times " + std::to_string(p.k) +
                    "x" + std::to_string(p.n));
  plan.algo = result.algo;
  return true;
}

/// Checks a 2-D operand: unit stride along rows (where there is more than
/// one column) and rows that do not overlap. Returns its leading dimension,
/// or 0 with the rank's error set.
int64_t leadingDimension(GPURank &rank, const StridedMemRefType<float, 2> &a,
                         const char *name) {
  int64_t rows = a.sizes[0], cols = a.sizes[1];
  if (cols > 1 && a.strides[1] != 1) {
    fail(rank, "a matmul",
         std::string(name) + " needs unit stride along its rows");
    return 0;
  }
  if (rows > 1 && a.strides[0] < cols) {
    fail(rank, "a matmul", std::string(name) + " has overlapping rows");
    return 0;
  }
  return std::max<int64_t>({rows > 1 ? a.strides[0] : cols, cols, 1});
}

void matmul(StridedMemRefType<float, 2> *x, StridedMemRefType<float, 2> *w,
            StridedMemRefType<float, 1> *b, StridedMemRefType<float, 2> *y,
            int32_t epilogue) {
  GPURank *current = currentGPURank();
  if (!current) {
    std::fprintf(stderr, "tp runtime: a GPU matmul was called on a thread "
                         "without a GPU rank; run compiled GPU code through "
                         "a GPU executor\n");
    std::abort();
  }
  GPURank &rank = *current;
  int64_t m = x->sizes[0], k = x->sizes[1], n = w->sizes[0];
  if (w->sizes[1] != k || y->sizes[0] != m || y->sizes[1] != n ||
      (b && b->sizes[0] != n)) {
    fail(rank, "a matmul",
         "operand shapes disagree: x " + std::to_string(m) + "x" +
             std::to_string(k) + ", W " + std::to_string(n) + "x" +
             std::to_string(w->sizes[1]) + ", y " +
             std::to_string(y->sizes[0]) + "x" + std::to_string(y->sizes[1]) +
             (b ? ", b " + std::to_string(b->sizes[0]) : std::string()));
    return;
  }
  std::optional<cublasLtEpilogue_t> lt = toLt(epilogue, b != nullptr);
  if (!lt) {
    fail(rank, "a matmul",
         "unknown epilogue " + std::to_string(epilogue));
    return;
  }
  if (m == 0 || n == 0)
    return;
  if (b && n > 1 && b->strides[0] != 1) {
    fail(rank, "a matmul", "the bias needs unit stride");
    return;
  }
  int64_t ldy = leadingDimension(rank, *y, "y");
  if (!ldy)
    return;
  float *yData = y->data + y->offset;
  if (k == 0) {
    // No reduction (a column shard of fewer features than ranks): the
    // partial product is zero, and tp-partition gives such layers no bias.
    if (b) {
      fail(rank, "a matmul", "a bias on a product with no reduction (K = 0)");
      return;
    }
    checkCuda(cudaMemset2DAsync(yData, sizeof(float) * ldy, 0,
                                sizeof(float) * n, m, rank.stream),
              "zeroing an empty product");
    return;
  }
  int64_t ldx = leadingDimension(rank, *x, "x");
  int64_t ldw = leadingDimension(rank, *w, "W");
  if (!ldx || !ldw)
    return;
  Problem p{m,
            n,
            k,
            ldx,
            ldw,
            ldy,
            x->data + x->offset,
            w->data + w->offset,
            b ? b->data + b->offset : nullptr,
            yData,
            *lt};
  std::array<int64_t, 11> key = {
      m,  n, k, ldx, ldw, ldy, alignmentOf(p.x), alignmentOf(p.w),
      alignmentOf(p.y), epilogue, b ? alignmentOf(p.b) : 0};
  auto it = rank.plans.find(key);
  if (it == rank.plans.end()) {
    MatmulPlan plan;
    if (!makePlan(rank, p, plan)) {
      destroy(plan);
      return;
    }
    it = rank.plans.emplace(key, plan).first;
  }
  MatmulPlan &plan = it->second;
  if (b && !checkLt(rank,
                    cublasLtMatmulDescSetAttribute(
                        plan.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &p.b,
                        sizeof(p.b)),
                    "setting the bias"))
    return;
  const float alpha = 1.0f, beta = 0.0f;
  checkLt(rank,
          cublasLtMatmul(rank.lt, plan.desc, &alpha, p.w, plan.a, p.x, plan.b,
                         &beta, yData, plan.c, yData, plan.c, &plan.algo,
                         rank.workspace, rank.workspaceSize, rank.stream),
          "cublasLtMatmul");
}
} // namespace

void mlir::tp::rt::destroyMatmulPlans(GPURank &rank) {
  for (auto &[key, plan] : rank.plans)
    destroy(plan);
  rank.plans.clear();
}

extern "C" void
_mlir_ciface_tp_gpu_matmul_nt(StridedMemRefType<float, 2> *x,
                              StridedMemRefType<float, 2> *w,
                              StridedMemRefType<float, 2> *y,
                              int32_t epilogue) {
  matmul(x, w, nullptr, y, epilogue);
}

extern "C" void _mlir_ciface_tp_gpu_matmul_nt_bias(
    StridedMemRefType<float, 2> *x, StridedMemRefType<float, 2> *w,
    StridedMemRefType<float, 1> *b, StridedMemRefType<float, 2> *y,
    int32_t epilogue) {
  matmul(x, w, b, y, epilogue);
}
