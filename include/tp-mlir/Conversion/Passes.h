//===- Passes.h - tp conversion passes --------------------------*- C++ -*-===//

#ifndef TP_MLIR_CONVERSION_PASSES_H
#define TP_MLIR_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Shard/IR/ShardDialect.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Transform/IR/TransformDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"
#include "tp-mlir/Dialect/TP/IR/TPAttrs.h"
#include "tp-mlir/Dialect/TP/IR/TPDialect.h"
#include "tp-mlir/Support/OptionEnums.h"

namespace mlir {
class ConversionTarget;
class RewritePatternSet;
namespace tp {

#define GEN_PASS_DECL
#include "tp-mlir/Conversion/Passes.h.inc"

/// Patterns of convert-tp-to-linalg.
void populateTPToLinalgPatterns(RewritePatternSet &patterns);

/// Patterns of convert-shard-to-tp: shard's collectives and process
/// queries on a 1-D grid of `numDevices` to their tp counterparts.
void populateShardToTPConversionPatterns(RewritePatternSet &patterns,
                                         int64_t numDevices);

/// The legality of convert-shard-to-tp: the shard dialect is illegal.
void configureShardToTPConversionTarget(ConversionTarget &target);

/// Fails, with an error at the layer, when the shard program `module` holds
/// a tp layer: upstream's sharding propagation and shard-partition cannot
/// partition it. The driver checks this before propagation runs.
LogicalResult verifyNoTPLayersInShardProgram(ModuleOp module);

/// The body of one activation on a scalar, in arith and math ops.
Value buildActivation(OpBuilder &builder, Location loc, const Activation &act,
                      Value x);

#define GEN_PASS_REGISTRATION
#include "tp-mlir/Conversion/Passes.h.inc"

/// f32 lanes of the host's widest vector register (16 with AVX-512F, else
/// 8): what the generated matmul's register tile is shaped for when its
/// vector-lanes option is 0.
int64_t hostMatmulVectorLanes();

} // namespace tp
} // namespace mlir

#endif // TP_MLIR_CONVERSION_PASSES_H
