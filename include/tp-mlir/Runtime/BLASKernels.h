//===- BLASKernels.h - local matmuls through BLAS ---------------*- C++ -*-===//
//
// The matmul that compiled code calls with `matmul=blas` (the name is
// entry::kMatmulNT). A library of its own (TPMLIRRuntimeBLAS), so that code
// compiled with generated matmuls does not link BLAS.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_RUNTIME_BLASKERNELS_H
#define TP_MLIR_RUNTIME_BLASKERNELS_H

#include "tp-mlir/Runtime/RuntimeABI.h"

extern "C" {
/// y += x w^T (sgemm from the BLAS library).
void _mlir_ciface_tp_rt_matmul_nt(StridedMemRefType<float, 2> *x,
                                  StridedMemRefType<float, 2> *w,
                                  StridedMemRefType<float, 2> *y);
/// y = x w^T, without reading y (sgemm's beta = 0). A single row of x goes
/// to sgemv in both.
void _mlir_ciface_tp_rt_matmul_nt_overwrite(StridedMemRefType<float, 2> *x,
                                            StridedMemRefType<float, 2> *w,
                                            StridedMemRefType<float, 2> *y);
}

namespace mlir::tp::rt {
/// The symbols above, for registering with a JIT.
std::vector<RuntimeSymbol> getBLASRuntimeSymbols();
} // namespace mlir::tp::rt

#endif // TP_MLIR_RUNTIME_BLASKERNELS_H
