//===- MatmulCodegen.cpp - tile, vectorize and lower local matmuls --------===//
//
// The code-generation path of the local matmuls: a rewrite into packed
// operands and linalg.mmt4d, then two transform-dialect schedules run by the
// transform interpreter: one on tensors (cache tiling with the packs fused
// into it, the register tile, vectorization), one after bufferization
// (hoisting and vector lowering).
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Conversion/Passes.h"
#include "tp-mlir/Dialect/TP/IR/TPAttrs.h"
#include "tp-mlir/Dialect/TP/IR/TPDialect.h"
#include "tp-mlir/Dialect/TP/IR/TPPackedWeights.h"
#include "tp-mlir/Support/OptionErrors.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Transform/Transforms/TransformInterpreterUtils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/TargetParser/Host.h"

namespace mlir::tp {
#define GEN_PASS_DEF_TILEMATMULS
#define GEN_PASS_DEF_LOWERMATMULVECTORS
#include "tp-mlir/Conversion/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;

int64_t mlir::tp::hostMatmulVectorLanes() {
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  auto it = features.find("avx512f");
  return it != features.end() && it->second ? 16 : 8;
}

namespace {
/// The packed form's register tile is MR x NR (matmulRegisterTile): 16 x 16
/// on AVX-512, 6 x 16 on AVX2. Packing copies x into panels of MR rows and
/// W into panels of NR rows, each stored k-major and zero-padded
/// (linalg.pack: x[M][K] -> A[M/MR][K][MR][1], W[N][K] ->
/// B[N/NR][K][NR][1]), so that each step of K loads NR / lanes vectors of W
/// and broadcasts MR elements of x, all contiguous. The packs' transposes
/// are blocks of a panel's rows by the lanes, masked at the edges, lowered
/// to register shuffles.
///
/// Cache tiling, as in GotoBLAS: 256 panels of W (4,096 outputs at NR = 16)
/// by 256 steps of K, into whose loop both packs are fused, so that one
/// block of packed W (at most 4 MiB, for L3) and of packed x is live at a
/// time: a whole packed W would be a fresh allocation of N x K floats per
/// call, page-faulted in every time. Inside it, a block of x for L2 (8
/// panels, 128 rows, at MR = 16; 24, 144 rows, at 6), then panels of W,
/// panels of x, and K innermost, so that one panel of W (16 KiB) stays in
/// L1 while panels of x stream from L2. These sizes were measured with
/// `tp-bench gemm` (docs/performance.md); 64 panels of W and 128 steps of K
/// were within noise of them at MR = 16.
constexpr const char *kTileSchedule = R"mlir(
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %mm = transform.structured.match ops{["linalg.mmt4d"]}
        attributes {tp.matmul_codegen} in %root
        : (!transform.any_op) -> !transform.any_op
    // The pattern sets below rewrite whole functions: only those with a
    // matmul of this run, so that code an earlier run vectorized (masked
    // transfers, which some of these patterns would split inside their
    // vector.mask) is left as it is.
    %func = transform.get_parent_op %mm {deduplicate, op_name = "func.func"}
        : (!transform.any_op) -> !transform.any_op
    // Each matmul is already tiled by blocks of W and of K, with its packs
    // fused into that loop (fuseBlockPacks). The block of x, then the
    // register tile.
    %t2, %l2 = transform.structured.tile_using_for %mm tile_sizes [@XB@, 0, 0]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %tp, %lp:2 = transform.structured.tile_using_for %t2 tile_sizes [1, 1, 0, 0, 0, 0]
        interchange = [1, 0]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    %tr, %lr:2 = transform.structured.tile_using_for %tp tile_sizes [0, 0, 1, 0, 0, 1]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    transform.apply_patterns to %func {
      transform.apply_patterns.tensor.fold_tensor_empty
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    transform.structured.vectorize %tr : !transform.any_op
    // The 6-d contraction of a 1 x 1 x 1 x MR x NR x 1 tile, then the
    // accumulator hoisted out of the K loop.
    transform.apply_patterns to %func {
      transform.apply_patterns.vector.reduction_to_contract
      transform.apply_patterns.vector.transfer_permutation_patterns
    } : !transform.any_op
    %fh = transform.structured.hoist_redundant_vector_transfers %func
        : (!transform.any_op) -> !transform.any_op
    %loops = transform.structured.match interface{LoopLikeInterface} in %root
        : (!transform.any_op) -> !transform.any_op
    transform.apply_licm to %loops : !transform.any_op
    transform.loop.hoist_loop_invariant_subsets %loops : !transform.any_op
    // Down to an MR x NR += (MR x 1) (NR x 1) contraction.
    transform.apply_patterns to %fh {
      transform.apply_patterns.vector.reduction_to_contract
      transform.apply_patterns.vector.cast_away_vector_leading_one_dim
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    // The operand packs: blocks of a panel's rows by one register's lanes
    // of K, transposed, masked at the edges (padding rows, a K that the
    // lanes do not divide, dynamic sizes). One group per panel height.
@PACKS@
    // The result's unpack: register tiles, each a row-major block of y (no
    // transpose). Left to lowerRelayouts, it became a loop of scalar
    // copies. peelUnpackTiles and kUnpackSchedule follow.
    %unpacks = transform.structured.match ops{["linalg.unpack"]}
        attributes {tp.matmul_codegen} in %root
        : (!transform.any_op) -> !transform.any_op
    %ut, %ul:2 = transform.structured.tile_using_for %unpacks tile_sizes [@MR@, @NR@]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}
)mlir";

/// The unpack's register tiles, vectorized: those of the loops peeled by
/// peelUnpackTiles are whole tiles, with plain loads and stores; the edges
/// are masked.
constexpr const char *kUnpackSchedule = R"mlir(
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %unpacks = transform.structured.match ops{["linalg.unpack"]}
        attributes {tp.matmul_codegen} in %root
        : (!transform.any_op) -> !transform.any_op
    %func = transform.get_parent_op %unpacks {deduplicate, op_name = "func.func"}
        : (!transform.any_op) -> !transform.any_op
    // The peeled loops' tiles, static: in the tiles' loops only, where no
    // masked op of the packs is (see kTileSchedule).
    %tiles = transform.get_parent_op %unpacks {deduplicate, op_name = "scf.for"}
        : (!transform.any_op) -> !transform.any_op
    transform.apply_patterns to %tiles {
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    transform.structured.vectorize %unpacks vector_sizes [1, 1, @MR@, @NR@] : !transform.any_op
    transform.apply_patterns to %func {
      transform.apply_patterns.vector.drop_unit_dims_with_shape_cast
      transform.apply_patterns.vector.cast_away_vector_leading_one_dim
    } : !transform.any_op
    transform.yield
  }
}
)mlir";

/// The pack group of the tile schedule for panels of `rows` rows: the
/// packs' own static inner tiles tell x's panels from W's.
constexpr const char *kPackGroup = R"mlir(
    %packs_@P@ = transform.structured.match ops{["linalg.pack"]}
        attributes {tp.matmul_codegen, static_inner_tiles = array<i64: @P@, 1>} in %root
        : (!transform.any_op) -> !transform.any_op
    %pt_@P@, %pl_@P@:2 = transform.structured.tile_using_for %packs_@P@ tile_sizes [1, @KT@]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    transform.structured.vectorize %pt_@P@ vector_sizes [1, @KT@, @P@, 1] : !transform.any_op
)mlir";

constexpr const char *kLowerSchedule = R"mlir(
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %f = transform.structured.match ops{["func.func"]} in %root
        : (!transform.any_op) -> !transform.any_op
    // Masks first: later rewrites (alias folding, lowerings) turn one masked
    // op into several, which a vector.mask region cannot hold.
    transform.apply_patterns to %f {
      transform.apply_patterns.vector.lower_masked_transfers
      transform.apply_patterns.vector.lower_masks
    } : !transform.any_op
    transform.apply_patterns to %f {
      transform.apply_patterns.memref.fold_memref_alias_ops
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    transform.apply_cse to %f : !transform.any_op
    %h = transform.structured.hoist_redundant_vector_transfers %f
        : (!transform.any_op) -> !transform.any_op
    // Each pattern set runs to a fixed point on its own: together, some of
    // their rewrites undo each other and the driver never settles.
    transform.apply_patterns to %h {
      transform.apply_patterns.vector.lower_contraction lowering_strategy = "outerproduct"
      transform.apply_patterns.vector.lower_outerproduct
    } : !transform.any_op
    transform.yield
  }
}
)mlir";

/// The rest of the lowering, after the panels of x are read element by
/// element (LowerMatmulVectorsPass).
constexpr const char *kLowerRestSchedule = R"mlir(
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %h = transform.structured.match ops{["func.func"]} in %root
        : (!transform.any_op) -> !transform.any_op
    transform.apply_patterns to %h {
      transform.apply_patterns.vector.drop_inner_most_unit_dims_from_xfer_ops
    } : !transform.any_op
    transform.apply_patterns to %h {
      transform.apply_patterns.vector.transfer_permutation_patterns
      transform.apply_patterns.vector.lower_transfer max_transfer_rank = 1
      transform.apply_patterns.vector.transfer_to_scf full_unroll = true
      transform.apply_patterns.vector.lower_transpose lowering_strategy = "@TRANSPOSE@"
      transform.apply_patterns.vector.lower_broadcast
      transform.apply_patterns.vector.lower_shape_cast
    } : !transform.any_op
    transform.apply_patterns to %h {
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    transform.yield
  }
}
)mlir";

/// Replaces each `@NAME@` in `source` with its value.
std::string instantiate(StringRef source,
                        ArrayRef<std::pair<StringRef, std::string>> values) {
  std::string text = source.str();
  for (const auto &[name, value] : values) {
    std::string key = ("@" + name + "@").str();
    for (size_t at = text.find(key); at != std::string::npos;
         at = text.find(key, at + value.size()))
      text.replace(at, key.size(), value);
  }
  return text;
}

/// The pass option's lanes, or the host's for 0.
FailureOr<int64_t> resolveLanes(ModuleOp module, int64_t option) {
  if (option == 0)
    return hostMatmulVectorLanes();
  if (option == 4 || option == 8 || option == 16)
    return option;
  return module.emitError() << "vector-lanes must be 0 (the host's), 4, 8 or "
                               "16, not "
                            << option;
}

/// Tiles each mmt4d by 256 panels of W and 256 steps of K and fuses the
/// packs of its operands into that loop nest, so that one block of packed
/// operands is live at a time. (The transform dialect's
/// fuse_into_containing_op prints the whole function into a diagnostic on
/// every call, which made compile time quadratic in depth.)
LogicalResult fuseBlockPacks(ModuleOp module) {
  SmallVector<linalg::Mmt4DOp> matmuls;
  module.walk([&](linalg::Mmt4DOp op) {
    if (op->hasAttr(TPDialect::kMatmulCodegenAttrName))
      matmuls.push_back(op);
  });
  IRRewriter rewriter(module.getContext());
  for (linalg::Mmt4DOp op : matmuls) {
    scf::SCFTilingOptions tiling;
    tiling.setTileSizes({rewriter.getIndexAttr(0), rewriter.getIndexAttr(256),
                         rewriter.getIndexAttr(256)});
    scf::SCFTileAndFuseOptions options;
    options.setTilingOptions(tiling);
    options.setFusionControlFn(
        [](tensor::ExtractSliceOp, OpResult producer, bool isDestination)
            -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
          if (isDestination || !isa<linalg::PackOp>(producer.getOwner()))
            return std::nullopt;
          return scf::SCFTileAndFuseOptions::ControlFnResult{};
        });
    rewriter.setInsertionPoint(op);
    FailureOr<scf::SCFTileAndFuseResult> tiled =
        scf::tileConsumerAndFuseProducersUsingSCF(
            rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(tiled))
      return op.emitError("internal error: a packed matmul does not tile");
    Value result = op.getResult(0);
    rewriter.replaceAllUsesWith(result, tiled->replacements.lookup(result));
    SmallVector<Operation *> packs(tiled->fusedProducers.begin(),
                                   tiled->fusedProducers.end());
    rewriter.eraseOp(op);
    for (Operation *pack : packs)
      if (pack->use_empty())
        rewriter.eraseOp(pack);
  }
  return success();
}

/// Peels the last, partial step off the two loops of each unpack's register
/// tiles (the tile's columns first, then its rows), so that the main loops
/// hold whole tiles only: kUnpackSchedule then vectorizes those without
/// masks. Unpeeled, a 6-row tile whose M is not a multiple of 6 (256 and
/// 1024 are not) stored its last rows with masked stores in every tile,
/// microcoded on AMD's cores. A loop its step divides stays as it is.
void peelUnpackTiles(ModuleOp module, MatmulRegisterTile tile) {
  SmallVector<linalg::UnPackOp> unpacks;
  module.walk([&](linalg::UnPackOp op) {
    if (op->hasAttr(TPDialect::kMatmulCodegenAttrName))
      unpacks.push_back(op);
  });
  auto tileLoop = [](Operation *op, int64_t step) -> scf::ForOp {
    auto loop = dyn_cast_or_null<scf::ForOp>(op);
    if (!loop || getConstantIntValue(loop.getStep()) != step)
      return nullptr;
    return loop;
  };
  IRRewriter rewriter(module.getContext());
  for (linalg::UnPackOp op : unpacks) {
    scf::ForOp cols = tileLoop(op->getParentOp(), tile.cols);
    scf::ForOp rows = cols ? tileLoop(cols->getParentOp(), tile.rows) : nullptr;
    if (!rows)
      continue;
    scf::ForOp remainder;
    (void)scf::peelForLoopAndSimplifyBounds(rewriter, cols, remainder);
    (void)scf::peelForLoopAndSimplifyBounds(rewriter, rows, remainder);
  }
}

/// Parses `source` and runs its `__transform_main` on `payload`.
LogicalResult runSchedule(ModuleOp payload, StringRef source) {
  OwningOpRef<ModuleOp> schedule =
      parseSourceString<ModuleOp>(source, payload.getContext());
  if (!schedule)
    return payload.emitError() << "internal error: a matmul schedule does not "
                                  "parse";
  Operation *entry = transform::detail::findTransformEntryPoint(
      payload, *schedule, "__transform_main");
  if (!entry)
    return failure();
  return transform::applyTransformNamedSequence(payload, entry, *schedule,
                                                transform::TransformOptions());
}

/// Whether `op` is a matmul tp-matmul-to-blas takes: transposed B, f32.
bool blasTakes(linalg::MatmulOp op) {
  auto isF32 = [](Type t) { return getElementTypeOrSelf(t).isF32(); };
  return isa<linalg::MatmulTransposeBOp>(op.getOperation()) &&
         llvm::all_of(op->getOperandTypes(), isF32);
}

/// The static rows of x (M), or nullopt when dynamic.
std::optional<int64_t> staticRows(linalg::MatmulOp op) {
  auto type = dyn_cast<ShapedType>(op.getDpsInputs()[0].getType());
  if (!type || type.getRank() != 2 || type.isDynamicDim(0))
    return std::nullopt;
  return type.getDimSize(0);
}

/// With `maxOutputs`, the fewest rows from which `op`'s result, times the
/// devices of the module's mesh (the ranks that share this host's caches),
/// has `maxOutputs` elements or more; nullopt without a limit or a static
/// N.
std::optional<int64_t> blasRows(linalg::MatmulOp op, int64_t maxOutputs) {
  auto type = dyn_cast<ShapedType>(op.getDpsInits()[0].getType());
  if (maxOutputs <= 0 || !type || type.getRank() != 2 || type.isDynamicDim(1) ||
      type.getDimSize(1) <= 0)
    return std::nullopt;
  MeshAttr mesh = lookupMesh(op);
  int64_t ranks = mesh ? std::max<int64_t>(mesh.getNumDevices(), 1) : 1;
  return llvm::divideCeil(maxOutputs, type.getDimSize(1) * ranks);
}

/// Whether `op` is one the packed form computes: on tensors, of floats
/// (the packs pad with 0.0, and mmt4d has no unsigned casts), with W
/// stored N x K (transposed B) or K x N (a plain matmul). A matmul that
/// tp-matmul-to-blas can take (transposed B, f32) is left to BLAS: with
/// `minFeatures`, when its static N or K is below it or x has a single
/// static row; with `maxOutputs`, when its static rows reach blasRows
/// (any rows do when that is 1); with either, when it is marked
/// tp.left_to_blas. Any other is generated whatever its size, since it
/// would otherwise become scalar loops.
bool isPackable(linalg::MatmulOp op, int64_t minFeatures, int64_t maxOutputs) {
  auto isFloat = [](Type t) { return isa<FloatType>(getElementTypeOrSelf(t)); };
  // A static extent of 0 (no rows, no outputs or no inputs) leaves nothing
  // to pack or tile: the loops of the plain form run no iterations, where
  // tiling by zero-sized panels crashed upstream's tile-size computation.
  auto hasEmptyDim = [](Type t) {
    auto shaped = dyn_cast<ShapedType>(t);
    return shaped && shaped.hasRank() &&
           llvm::is_contained(shaped.getShape(), 0);
  };
  if (llvm::any_of(op->getOperandTypes(), hasEmptyDim))
    return false;
  // N and K: the result's columns and x's columns, in either form.
  auto below = [&](Value v, unsigned dim) {
    auto type = dyn_cast<ShapedType>(v.getType());
    return type && type.getRank() == 2 && !type.isDynamicDim(dim) &&
           type.getDimSize(dim) < minFeatures;
  };
  // With auto, one row of x is a matrix-vector product, which BLAS's sgemv
  // streams W for once; the packed form would pad it to R rows and pack W.
  // A large result: the packed result and its unpack pass over it again,
  // beyond the cache, where BLAS writes it once.
  std::optional<int64_t> large = blasRows(op, maxOutputs);
  std::optional<int64_t> rows = staticRows(op);
  if ((minFeatures > 0 || maxOutputs > 0) && blasTakes(op) &&
      (op->hasAttr(TPDialect::kLeftToBLASAttrName) ||
       (large && rows.value_or(1) >= *large) ||
       (minFeatures > 0 && (rows == 1 || below(op.getDpsInits()[0], 1) ||
                            below(op.getDpsInputs()[0], 1)))))
    return false;
  return op.hasPureTensorSemantics() &&
         llvm::all_of(op->getOperandTypes(), isFloat) &&
         (isa<linalg::MatmulTransposeBOp>(op.getOperation()) ||
          !op.hasUserDefinedMaps());
}

/// Moves each zero-initialized matmul into a private function shared by
/// every matmul of the same operand types, which writes the result into a
/// buffer its caller passes (as a BLAS call does). The generated matmul is
/// hundreds of ops per shape; generated once per shape rather than once per
/// layer, it took a 1,000-layer chain from 42 s to 3 s of compile time.
/// Its arguments have identity layouts, so its strides are constants.
SmallVector<func::FuncOp> outlineMatmuls(ModuleOp module, int64_t minFeatures,
                                         int64_t maxOutputs) {
  SmallVector<linalg::MatmulOp> matmuls;
  module.walk([&](linalg::MatmulOp op) {
    auto fill = op.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
    if (isPackable(op, minFeatures, maxOutputs) && fill &&
        matchPattern(fill.getInputs()[0], m_AnyZeroFloat()))
      matmuls.push_back(op);
  });
  MLIRContext *context = module.getContext();
  IRRewriter rewriter(context);
  // Each kernel goes into the module of its callers (a nested module has a
  // symbol table of its own).
  SymbolTableCollection symbols;
  llvm::DenseMap<std::tuple<Operation *, Type, unsigned>, func::FuncOp> kernels;
  for (linalg::MatmulOp op : matmuls) {
    auto home = op->getParentOfType<ModuleOp>();
    bool transposedB = isa<linalg::MatmulTransposeBOp>(op.getOperation());
    Value x = op.getDpsInputs()[0], w = op.getDpsInputs()[1];
    auto fill = op.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
    Value out = fill.getOutputs()[0];
    auto type =
        FunctionType::get(context, {x.getType(), w.getType(), out.getType()},
                          op->getResultTypes());
    func::FuncOp &kernel =
        kernels[{home.getOperation(), type, transposedB ? 1u : 0u}];
    if (!kernel) {
      rewriter.setInsertionPointToEnd(home.getBody());
      Location loc = op.getLoc();
      kernel = func::FuncOp::create(rewriter, loc, "tp_matmul", type);
      symbols.getSymbolTable(home).insert(kernel);
      kernel.setPrivate();
      // One copy for every caller: LLVM would inline it into each.
      kernel->setAttr("passthrough", rewriter.getArrayAttr(
                                         rewriter.getStringAttr("noinline")));
      kernel->setAttr("llvm.linkage",
                      LLVM::LinkageAttr::get(context, LLVM::Linkage::Internal));
      // Identity layouts on every argument, whatever the bufferization's
      // function-boundary option, so that the packs' loops see constant
      // strides. With fully dynamic strides on x and W, as first written,
      // the chains ran up to 1.5x slower than with the matmul inline. A
      // caller's slice (a column split's share of the activation, M x K/D)
      // is copied by bufferization: as much traffic as the pack of x
      // already makes, and measured within noise. The result is the
      // caller's fresh buffer, which bufferization then returns as is, so
      // that drop-equivalent-buffer-results can remove the result.
      for (unsigned i = 0; i < 3; ++i) {
        auto shaped = cast<ShapedType>(type.getInput(i));
        kernel.setArgAttr(
            i, bufferization::BufferizationDialect::kBufferLayoutAttrName,
            AffineMapAttr::get(
                rewriter.getMultiDimIdentityMap(shaped.getRank())));
      }
      Block *body = kernel.addEntryBlock();
      rewriter.setInsertionPointToStart(body);
      // Destination-passing: the caller allocates the result, as for a
      // BLAS call, and the kernel writes it in place.
      Value zero = arith::ConstantOp::create(
          rewriter, loc,
          rewriter.getZeroAttr(getElementTypeOrSelf(out.getType())));
      auto product = [&](OpBuilder &b, Location loc) {
        Value init = linalg::FillOp::create(b, loc, zero, body->getArgument(2))
                         .getResult(0);
        // Operands set one by one: one value can be both x and W, and a
        // mapping of it would give both operands the one argument.
        auto made = cast<linalg::MatmulOp>(b.clone(*op));
        made.getDpsInputOperand(0)->set(body->getArgument(0));
        made.getDpsInputOperand(1)->set(body->getArgument(1));
        made.getDpsInitOperand(0)->set(init);
        return made.getOperation();
      };
      // With auto and a dynamic batch, a single row (sgemv) and a large
      // result go to BLAS, the others to the generated matmul, chosen on
      // each call.
      std::optional<int64_t> large = blasRows(op, maxOutputs);
      if ((minFeatures > 0 || large) && blasTakes(op) && !staticRows(op)) {
        Value rows = tensor::DimOp::create(rewriter, loc, body->getArgument(0),
                                           int64_t(0));
        Value toBLAS;
        if (minFeatures > 0) {
          Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
          toBLAS = arith::CmpIOp::create(rewriter, loc,
                                         arith::CmpIPredicate::eq, rows, one);
        }
        if (large) {
          Value from = arith::ConstantIndexOp::create(rewriter, loc, *large);
          Value many = arith::CmpIOp::create(
              rewriter, loc, arith::CmpIPredicate::sge, rows, from);
          toBLAS =
              toBLAS ? arith::OrIOp::create(rewriter, loc, toBLAS, many) : many;
        }
        auto branch = scf::IfOp::create(
            rewriter, loc, toBLAS,
            [&](OpBuilder &b, Location loc) {
              Operation *left = product(b, loc);
              left->setAttr(TPDialect::kLeftToBLASAttrName, b.getUnitAttr());
              scf::YieldOp::create(b, loc, left->getResults());
            },
            [&](OpBuilder &b, Location loc) {
              scf::YieldOp::create(b, loc, product(b, loc)->getResults());
            });
        func::ReturnOp::create(rewriter, loc, branch.getResults());
      } else {
        func::ReturnOp::create(rewriter, loc,
                               product(rewriter, loc)->getResults());
      }
    }
    rewriter.setInsertionPoint(op);
    auto call = func::CallOp::create(rewriter, op.getLoc(), kernel,
                                     ValueRange{x, w, out});
    rewriter.replaceOp(op, call.getResults());
    if (fill->use_empty())
      rewriter.eraseOp(fill);
  }
  SmallVector<func::FuncOp> made;
  for (auto &entry : kernels)
    made.push_back(entry.second);
  return made;
}

/// A zero-padded pack of `source` (rows x K) into panels of `rows` x 1,
/// k-major: [ceil(R / rows)][K][rows][1]. `kMajorSource` is true when the
/// source is stored K x R instead (a plain matmul's B).
Value packPanels(OpBuilder &b, Location loc, Value source, int64_t rows,
                 bool kMajorSource) {
  SmallVector<int64_t> innerDimsPos =
      kMajorSource ? SmallVector<int64_t>{1, 0} : SmallVector<int64_t>{0, 1};
  SmallVector<int64_t> outerPerm =
      kMajorSource ? SmallVector<int64_t>{1, 0} : SmallVector<int64_t>{};
  SmallVector<OpFoldResult> tiles = {b.getIndexAttr(rows), b.getIndexAttr(1)};
  Value dest = linalg::PackOp::createDestinationTensor(b, loc, source, tiles,
                                                       innerDimsPos, outerPerm);
  Value zero = arith::ConstantOp::create(
      b, loc, b.getZeroAttr(getElementTypeOrSelf(source.getType())));
  auto pack = linalg::PackOp::create(b, loc, source, dest, innerDimsPos, tiles,
                                     zero, outerPerm);
  pack->setAttr(TPDialect::kMatmulCodegenAttrName, b.getUnitAttr());
  return pack.getResult();
}

/// y = x W^T (or y = x B) becomes pack(x), pack(W), linalg.mmt4d and an
/// unpack of the result. A zero-filled init (beta = 0) is filled again in
/// the packed layout; any other init is packed.
LogicalResult packMatmuls(ModuleOp module, int64_t lanes, int64_t minFeatures,
                          int64_t maxOutputs) {
  SmallVector<linalg::MatmulOp> matmuls;
  module.walk([&](linalg::MatmulOp op) {
    if (isPackable(op, minFeatures, maxOutputs))
      matmuls.push_back(op);
  });
  IRRewriter rewriter(module.getContext());
  for (linalg::MatmulOp op : matmuls) {
    bool transposedB = isa<linalg::MatmulTransposeBOp>(op.getOperation());
    rewriter.setInsertionPoint(op);
    Location loc = op.getLoc();
    Value x = op.getDpsInputs()[0], w = op.getDpsInputs()[1];
    Value init = op.getDpsInits()[0];
    MatmulRegisterTile tile = matmulRegisterTile(lanes);
    Value a = packPanels(rewriter, loc, x, tile.rows, /*kMajorSource=*/false);
    Value bPacked = packPanels(rewriter, loc, w, tile.cols, !transposedB);
    SmallVector<int64_t> pos = {0, 1};
    SmallVector<OpFoldResult> tiles = {rewriter.getIndexAttr(tile.rows),
                                       rewriter.getIndexAttr(tile.cols)};
    Value cEmpty =
        linalg::PackOp::createDestinationTensor(rewriter, loc, init, tiles, pos,
                                                /*outerDimsPerm=*/{});
    Value c;
    linalg::PackOp initPack;
    Value unpackDest = init;
    if (auto fill = init.getDefiningOp<linalg::FillOp>()) {
      auto packedFill =
          linalg::FillOp::create(rewriter, loc, fill.getInputs()[0], cEmpty);
      // startFromFill turns the register tiles' first reads of it into the
      // fill value, and drops the fill.
      packedFill->setAttr(TPDialect::kMatmulCodegenAttrName,
                          rewriter.getUnitAttr());
      c = packedFill.getResult(0);
      unpackDest = fill.getOutputs()[0];
    } else {
      Value zero = arith::ConstantOp::create(
          rewriter, loc, rewriter.getZeroAttr(getElementTypeOrSelf(init)));
      initPack =
          linalg::PackOp::create(rewriter, loc, init, cEmpty, pos, tiles, zero);
      c = initPack.getResult();
    }
    auto mmt4d = linalg::Mmt4DOp::create(rewriter, loc, ValueRange{a, bPacked},
                                         ValueRange{c});
    auto unpack = linalg::UnPackOp::create(rewriter, loc, mmt4d.getResult(0),
                                           unpackDest, pos, tiles);
    for (Operation *made : {mmt4d.getOperation(), unpack.getOperation()})
      made->setAttr(TPDialect::kMatmulCodegenAttrName, rewriter.getUnitAttr());
    Value y = unpack.getResult();
    rewriter.replaceOp(op, y);
    // Lowered here, as a pad and a transpose: the schedule vectorizes only
    // the marked operand packs and result unpack.
    if (initPack) {
      rewriter.setInsertionPoint(initPack);
      if (failed(linalg::lowerPack(rewriter, initPack)))
        return initPack.emitError(
            "internal error: a matmul's init does not pack");
    }
  }
  return success();
}

/// The pack of kernel `kernel`'s W (argument #1) when it is W's only use
/// but for the sizes of W's dynamic dimensions: an f32 pack this pass made,
/// its tiles static. Null when W has another use: the BLAS branch of a
/// kernel for a dynamic batch (matmul=auto), which takes a single row or a
/// large result, and needs W as it is.
linalg::PackOp weightPackOf(func::FuncOp kernel) {
  if (kernel.isExternal() || kernel.getNumArguments() != 3)
    return nullptr;
  linalg::PackOp found;
  for (Operation *user : kernel.getArgument(1).getUsers()) {
    if (auto dim = dyn_cast<tensor::DimOp>(user)) {
      if (!dim.getConstantIndex())
        return nullptr;
      continue;
    }
    auto pack = dyn_cast<linalg::PackOp>(user);
    if (!pack || found || pack.getSource() != kernel.getArgument(1) ||
        !pack->hasAttr(TPDialect::kMatmulCodegenAttrName) ||
        !pack.getDestType().getElementType().isF32() ||
        pack.getStaticInnerTiles().size() != 2 ||
        llvm::any_of(pack.getStaticInnerTiles(), ShapedType::isDynamic))
      return nullptr;
    found = pack;
  }
  return found;
}

/// Whether `a` and `b` lay W out alike.
bool samePacking(linalg::PackOp a, linalg::PackOp b) {
  return a.getDestType() == b.getDestType() &&
         a.getInnerDimsPos() == b.getInnerDimsPos() &&
         a.getOuterDimsPerm() == b.getOuterDimsPerm() &&
         a.getStaticInnerTiles() == b.getStaticInnerTiles();
}

/// pack-weights-ahead: each argument of a public function whose every use
/// is the W of a generated matmul kernel, packed alike, becomes the packed
/// panels themselves (TPPackedWeights.h), so that the caller packs it once
/// instead of every call packing it again. Those calls go to a variant of
/// the kernel that takes W packed; the function lists the arguments in
/// `tp.packed_weights`. Kernels left without callers are erased.
void hoistWeightPacks(ModuleOp module, ArrayRef<func::FuncOp> kernels) {
  llvm::DenseSet<Operation *> isKernel;
  for (func::FuncOp kernel : kernels)
    isKernel.insert(kernel);
  SymbolTable symbols(module);
  llvm::DenseMap<std::pair<Operation *, Type>, func::FuncOp> variants;
  MLIRContext *context = module.getContext();
  for (auto fn : module.getOps<func::FuncOp>()) {
    // A function that others call keeps its signature: they pass W as it
    // is.
    if (!fn.isPublic() || fn.isExternal() || isKernel.contains(fn) ||
        !SymbolTable::symbolKnownUseEmpty(fn, module))
      continue;
    SmallVector<PackedWeight> packed = getPackedWeights(fn);
    size_t before = packed.size();
    for (BlockArgument arg : fn.getArguments()) {
      auto type = dyn_cast<RankedTensorType>(arg.getType());
      if (!type || type.getRank() != 2 || arg.use_empty())
        continue;
      linalg::PackOp first;
      SmallVector<std::pair<func::CallOp, func::FuncOp>> calls;
      bool ok = true;
      for (OpOperand &use : arg.getUses()) {
        auto call = dyn_cast<func::CallOp>(use.getOwner());
        auto callee =
            call ? symbols.lookup<func::FuncOp>(call.getCallee()) : nullptr;
        linalg::PackOp pack =
            callee && isKernel.contains(callee) && use.getOperandNumber() == 1
                ? weightPackOf(callee)
                : nullptr;
        if (!pack || (first && !samePacking(first, pack))) {
          ok = false;
          break;
        }
        first = first ? first : pack;
        calls.push_back({call, callee});
      }
      if (!ok)
        continue;
      RankedTensorType packedType = first.getDestType();
      for (auto [call, callee] : calls) {
        func::FuncOp &variant = variants[{callee.getOperation(), packedType}];
        if (!variant) {
          variant = callee.clone();
          // A fresh tp_matmul_<n>, as the other kernels are named.
          variant.setName("tp_matmul");
          symbols.insert(variant, Block::iterator(callee));
          linalg::PackOp pack = weightPackOf(variant);
          BlockArgument w = variant.getArgument(1);
          // A dynamic size of W: K is the packed W's dimension 1, N the
          // result's (the kernel's argument #2) dimension 1.
          bool kMajor = !pack.getOuterDimsPerm().empty();
          for (Operation *user : llvm::make_early_inc_range(w.getUsers())) {
            auto dim = dyn_cast<tensor::DimOp>(user);
            if (!dim)
              continue;
            bool isK = (*dim.getConstantIndex() == 0) == kMajor;
            OpBuilder b(dim);
            Value size = tensor::DimOp::create(
                b, dim.getLoc(), isK ? Value(w) : variant.getArgument(2), 1);
            dim.replaceAllUsesWith(size);
            dim.erase();
          }
          w.setType(packedType);
          pack.getResult().replaceAllUsesWith(w);
          pack.erase();
          SmallVector<Type> inputs(variant.getArgumentTypes());
          inputs[1] = packedType;
          variant.setFunctionType(FunctionType::get(
              context, inputs, variant.getFunctionType().getResults()));
          variant.setArgAttr(
              1, bufferization::BufferizationDialect::kBufferLayoutAttrName,
              AffineMapAttr::get(AffineMap::getMultiDimIdentityMap(
                  packedType.getRank(), context)));
        }
        call.setCallee(variant.getSymName());
      }
      arg.setType(packedType);
      PackedWeight weight;
      weight.argument = arg.getArgNumber();
      weight.rows = first.getStaticInnerTiles()[0];
      weight.kMajor = !first.getOuterDimsPerm().empty();
      weight.shape = {type.getDimSize(0), type.getDimSize(1)};
      packed.push_back(weight);
    }
    if (packed.size() == before)
      continue;
    fn.setFunctionType(FunctionType::get(context,
                                         fn.getBody().getArgumentTypes(),
                                         fn.getFunctionType().getResults()));
    fn->setAttr(kPackedWeightsAttrName,
                buildPackedWeightsAttr(context, packed));
  }
  for (func::FuncOp kernel : kernels)
    if (kernel->getParentOp() == module.getOperation() &&
        SymbolTable::symbolKnownUseEmpty(kernel, module))
      kernel.erase();
}

/// Lowers what the schedule left of the packed form: any pack or unpack it
/// did not vectorize becomes copies and transposes.
LogicalResult lowerRelayouts(ModuleOp module) {
  IRRewriter rewriter(module.getContext());
  SmallVector<Operation *> relayouts;
  module.walk([&](Operation *op) {
    if (isa<linalg::PackOp, linalg::UnPackOp>(op) &&
        op->hasAttr(TPDialect::kMatmulCodegenAttrName))
      relayouts.push_back(op);
  });
  for (Operation *op : relayouts) {
    rewriter.setInsertionPoint(op);
    if (auto pack = dyn_cast<linalg::PackOp>(op)) {
      if (failed(linalg::lowerPack(rewriter, pack)))
        return op->emitError("internal error: a matmul pack does not lower");
      continue;
    }
    if (failed(linalg::lowerUnPack(rewriter, cast<linalg::UnPackOp>(op))))
      return op->emitError("internal error: a matmul unpack does not lower");
  }
  return success();
}

/// A loop that carries the packed result, and the offsets of the slices
/// taken of it since (inside) that loop, with the slices' sizes.
struct Carrier {
  scf::ForOp loop;
  SmallVector<std::pair<OpFoldResult, OpFoldResult>> slices; // offset, size
};

/// Whether `value` is computed from `iv` by ops without regions (the
/// affine.apply and affine.min of tile offsets).
bool dependsOn(Value value, Value iv, int depth = 6) {
  if (value == iv)
    return true;
  Operation *def = value.getDefiningOp();
  if (!def || depth == 0 || def->getNumRegions() != 0)
    return false;
  return llvm::any_of(def->getOperands(), [&](Value operand) {
    return dependsOn(operand, iv, depth - 1);
  });
}

/// Whether `carrier`'s loop visits tiles of its own: a slice since it is
/// offset by its induction variable itself and no wider than its step (a
/// constant, or the affine.min of a partial tile).
bool visitsOwnTiles(const Carrier &carrier) {
  scf::ForOp loop = carrier.loop;
  std::optional<int64_t> step = getConstantIntValue(loop.getStep());
  if (!step)
    return false;
  return llvm::any_of(
      carrier.slices, [&](const std::pair<OpFoldResult, OpFoldResult> &slice) {
        auto offset = dyn_cast<Value>(slice.first);
        if (offset != loop.getInductionVar())
          return false;
        std::optional<int64_t> size = getConstantIntValue(slice.second);
        if (size)
          return *size <= *step;
        Value sizeValue = dyn_cast<Value>(slice.second);
        auto min = sizeValue ? sizeValue.getDefiningOp<affine::AffineMinOp>()
                             : affine::AffineMinOp();
        return min &&
               llvm::any_of(min.getAffineMap().getResults(), [&](AffineExpr e) {
                 auto c = dyn_cast<AffineConstantExpr>(e);
                 return c && c.getValue() <= *step;
               });
      });
}

/// Whether `loop` is a loop over blocks of K: its induction variable offsets
/// slices of the function's arguments (x and W), not of the result.
bool stepsThroughOperands(scf::ForOp loop) {
  Value iv = loop.getInductionVar();
  WalkResult found = loop.getBody()->walk([&](tensor::ExtractSliceOp slice) {
    auto source = dyn_cast<BlockArgument>(slice.getSource());
    if (source && isa<FunctionOpInterface>(source.getOwner()->getParentOp()) &&
        llvm::any_of(slice.getOffsets(),
                     [&](Value offset) { return dependsOn(offset, iv); }))
      return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return found.wasInterrupted();
}

/// Follows `value`, which holds the fill's value wherever the enclosing
/// loops in `carriers` are at their first iteration or visit tiles of their
/// own, to the reads of it. Fails on any other use.
LogicalResult collectFillReads(
    Value value, SmallVector<Carrier> carriers,
    SmallVectorImpl<std::pair<vector::TransferReadOp, SmallVector<scf::ForOp>>>
        &reads) {
  for (OpOperand &use : value.getUses()) {
    Operation *user = use.getOwner();
    if (auto slice = dyn_cast<tensor::ExtractSliceOp>(user)) {
      SmallVector<Carrier> inner = carriers;
      for (Carrier &carrier : inner)
        for (auto [offset, size] :
             llvm::zip(slice.getMixedOffsets(), slice.getMixedSizes()))
          carrier.slices.push_back({offset, size});
      if (failed(collectFillReads(slice.getResult(), inner, reads)))
        return failure();
      continue;
    }
    if (auto loop = dyn_cast<scf::ForOp>(user)) {
      if (use.getOperandNumber() < loop.getNumControlOperands())
        return failure();
      SmallVector<Carrier> inner = carriers;
      inner.push_back({loop, {}});
      if (failed(collectFillReads(loop.getTiedLoopRegionIterArg(&use), inner,
                                  reads)))
        return failure();
      continue;
    }
    if (auto read = dyn_cast<vector::TransferReadOp>(user)) {
      // A whole, unmasked tile at the slice's origin, so that the loops'
      // slices alone say which tile it is.
      if (read.getMask() || isa<vector::MaskOp>(read->getParentOp()) ||
          !llvm::all_of(read.getInBoundsValues(), [](bool b) { return b; }) ||
          !llvm::all_of(read.getIndices(),
                        [](Value i) { return isZeroInteger(i); }))
        return failure();
      // A loop over K blocks visits the same tiles on every iteration; only
      // its first iteration's read sees the fill. It must run at least once,
      // or its tiles would stay unwritten. A carrying loop that is neither
      // this nor a loop over tiles of its own keeps the fill.
      SmallVector<scf::ForOp> firstOf;
      for (const Carrier &carrier : carriers) {
        if (visitsOwnTiles(carrier))
          continue;
        if (!stepsThroughOperands(carrier.loop))
          return failure();
        scf::ForOp loop = carrier.loop;
        std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
        std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound());
        if (!lb || !ub || *ub <= *lb)
          return failure();
        firstOf.push_back(loop);
      }
      reads.push_back({read, std::move(firstOf)});
      continue;
    }
    if (auto write = dyn_cast<vector::TransferWriteOp>(user)) {
      if (write.getBase() != value)
        return failure();
      continue;
    }
    if (auto insert = dyn_cast<tensor::InsertSliceOp>(user)) {
      if (insert.getDest() != value)
        return failure();
      continue;
    }
    return failure();
  }
  return success();
}

/// The register tiles of a generated matmul start from its filled packed
/// result (zero for y = x W^T): each reads its accumulator once per block
/// of K. In the first block that read returns only the fill's value, and
/// the fill is a memset of the whole packed result, 2 to 5% of a layer's
/// samples at batch 256 under perf. This makes each such read "the fill's
/// value in the first iteration of every loop over K blocks, the read
/// otherwise", and drops the fill.
///
/// It follows the packed result from the fill through the slices and the
/// loops that carry it (collectFillReads). A loop whose induction variable
/// offsets a slice on the way to a read visits tiles of its own (the cache
/// and register tiling), so the read sees the fill in every iteration; any
/// other loop carrying the result is a loop over K blocks, where only the
/// first iteration does, and which must run at least once, or its tiles
/// would stay unwritten. Where the packed result has any other use, the
/// fill stays.
void startFromFill(linalg::FillOp fill, RewriterBase &rewriter) {
  SmallVector<std::pair<vector::TransferReadOp, SmallVector<scf::ForOp>>> reads;
  Value scalar = fill.getInputs()[0];
  if (failed(collectFillReads(fill.getResult(0), {}, reads)) ||
      llvm::any_of(reads, [&](auto &read) {
        return read.first.getVectorType().getElementType() != scalar.getType();
      }))
    return;
  for (auto &entry : reads) {
    // Named, not a structured binding: a lambda below captures it.
    vector::TransferReadOp read = entry.first;
    ArrayRef<scf::ForOp> firstOf = entry.second;
    rewriter.setInsertionPoint(read);
    Location loc = read.getLoc();
    VectorType type = read.getVectorType();
    auto splat = [&](OpBuilder &b, Location loc) {
      return vector::BroadcastOp::create(b, loc, type, scalar).getResult();
    };
    if (firstOf.empty()) {
      rewriter.replaceOp(read, splat(rewriter, loc));
      continue;
    }
    Value first;
    for (scf::ForOp loop : firstOf) {
      Value isFirst =
          arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::eq,
                                loop.getInductionVar(), loop.getLowerBound());
      first =
          first
              ? arith::AndIOp::create(rewriter, loc, first, isFirst).getResult()
              : isFirst;
    }
    auto branch = scf::IfOp::create(
        rewriter, loc, first,
        [&](OpBuilder &b, Location loc) {
          scf::YieldOp::create(b, loc, splat(b, loc));
        },
        [&](OpBuilder &b, Location loc) {
          scf::YieldOp::create(b, loc, b.clone(*read)->getResults());
        });
    rewriter.replaceOp(read, branch.getResults());
  }
  rewriter.replaceOp(fill, fill.getOutputs()[0]);
}

struct TileMatmulsPass
    : WithOptionErrors<tp::impl::TileMatmulsBase<TileMatmulsPass>> {
  using WithOptionErrors::WithOptionErrors;
  void runOnOperation() override {
    FailureOr<int64_t> resolved = resolveLanes(getOperation(), vectorLanes);
    if (failed(resolved))
      return signalPassFailure();
    int64_t lanes = *resolved;
    if (minFeatures < 0) {
      getOperation().emitError() << "min-features must be 0 or positive, got "
                                 << static_cast<int64_t>(minFeatures);
      return signalPassFailure();
    }
    if (maxOutputs < 0) {
      getOperation().emitError() << "max-outputs must be 0 or positive, got "
                                 << static_cast<int64_t>(maxOutputs);
      return signalPassFailure();
    }
    SmallVector<func::FuncOp> kernels =
        outlineMatmuls(getOperation(), minFeatures, maxOutputs);
    if (failed(packMatmuls(getOperation(), lanes, minFeatures, maxOutputs)))
      return signalPassFailure();
    if (packWeightsAhead)
      hoistWeightPacks(getOperation(), kernels);
    if (failed(fuseBlockPacks(getOperation())))
      return signalPassFailure();
    MatmulRegisterTile tile = matmulRegisterTile(lanes);
    // The L2 block of x: 128 rows of 16-row panels, 144 of 6-row ones.
    int64_t xBlock = tile.rows >= 16 ? 8 : 24;
    auto packGroup = [&](int64_t rows) {
      return instantiate(kPackGroup, {{"P", std::to_string(rows)},
                                      {"KT", std::to_string(lanes)}});
    };
    std::string packs = packGroup(tile.rows);
    if (tile.cols != tile.rows)
      packs += packGroup(tile.cols);
    std::string schedule =
        instantiate(kTileSchedule, {{"PACKS", packs},
                                    {"XB", std::to_string(xBlock)},
                                    {"MR", std::to_string(tile.rows)},
                                    {"NR", std::to_string(tile.cols)}});
    // Nothing to generate (a module without matmuls, or one this pass ran
    // on already): the schedule's loop hoisting would still move ops of
    // code generated before.
    bool generates = false;
    getOperation().walk([&](linalg::Mmt4DOp op) {
      generates |= op->hasAttr(TPDialect::kMatmulCodegenAttrName);
    });
    if (generates && failed(runSchedule(getOperation(), schedule)))
      return signalPassFailure();
    if (generates) {
      peelUnpackTiles(getOperation(), tile);
      if (failed(runSchedule(getOperation(),
                             instantiate(kUnpackSchedule,
                                         {{"MR", std::to_string(tile.rows)},
                                          {"NR", std::to_string(tile.cols)}}))))
        return signalPassFailure();
    }
    SmallVector<linalg::FillOp> fills;
    getOperation().walk([&](linalg::FillOp fill) {
      if (fill->hasAttr(TPDialect::kMatmulCodegenAttrName))
        fills.push_back(fill);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::FillOp fill : fills)
      startFromFill(fill, rewriter);
    if (failed(lowerRelayouts(getOperation())))
      signalPassFailure();
  }
};

/// Whether `op`, or an op nested in it, may do more to memory than read
/// it: an op that does not describe its effects may.
bool mayWriteMemory(Operation *op) {
  std::optional<SmallVector<MemoryEffects::EffectInstance>> effects =
      getEffectsRecursively(op);
  return !effects || llvm::any_of(*effects, [](const auto &effect) {
    return !isa<MemoryEffects::Read>(effect.getEffect());
  });
}

/// Each register tile's loop over K starts from zeros, and the tile's
/// previous value (the packed result's, or the fill's in the first block of
/// K) is added once after it, with the tile's rows prefetched before it.
/// Reading the tile before the loop stalled each microkernel call on a
/// cache miss where the tiles of consecutive calls are far apart (a panel
/// of W in L1, panels of x streaming: tiles one row of tiles apart), as
/// BLAS microkernels avoid by reading C last. A loop qualifies when its
/// one result is a float vector that an additive contraction accumulates
/// and a transfer_write stores, its init is computed in its block for it
/// alone, and neither writes memory, so that the init can move after it
/// (the sum's order changes, as a microkernel's does). The loop's
/// accumulator feeds the contraction alone, and nothing between the init
/// and the loop writes memory either.
void deferAccumulatorReads(func::FuncOp fn) {
  SmallVector<scf::ForOp> loops;
  fn.walk([&](scf::ForOp loop) {
    if (loop.getNumResults() != 1 ||
        !isa<VectorType>(loop.getResult(0).getType()) ||
        !loop.getResult(0).hasOneUse() ||
        !isa<vector::TransferWriteOp>(*loop.getResult(0).user_begin()))
      return;
    auto contract = loop.getBody()
                        ->getTerminator()
                        ->getOperand(0)
                        .getDefiningOp<vector::ContractionOp>();
    Operation *init = loop.getInitArgs()[0].getDefiningOp();
    BlockArgument acc = loop.getRegionIterArgs()[0];
    if (!contract || contract.getAcc() != acc || !acc.hasOneUse() ||
        contract.getKind() != vector::CombiningKind::ADD || !init ||
        init->getNumResults() != 1 || init->getBlock() != loop->getBlock() ||
        !init->hasOneUse() ||
        !isa<FloatType>(getElementTypeOrSelf(init->getResult(0))))
      return;
    // Nothing from the init to the loop's end may write memory: the init's
    // reads move past all of it.
    for (Operation *op = init; op; op = op->getNextNode()) {
      if (mayWriteMemory(op))
        return;
      if (op == loop.getOperation())
        break;
    }
    loops.push_back(loop);
  });
  for (scf::ForOp loop : loops) {
    Operation *init = loop.getInitArgs()[0].getDefiningOp();
    auto write = cast<vector::TransferWriteOp>(*loop.getResult(0).user_begin());
    auto type = cast<VectorType>(loop.getResult(0).getType());
    OpBuilder b(loop);
    Location loc = loop.getLoc();
    // The rows of the tile the loop's result is stored to, prefetched for
    // writing: each is a few cache lines at most.
    if (type.getRank() == 2 && write.getPermutationMap().isMinorIdentity() &&
        !write.getMask() && isa<MemRefType>(write.getBase().getType())) {
      SmallVector<Value> indices(write.getIndices());
      Value first = indices[indices.size() - 2];
      for (int64_t row = 0; row < type.getDimSize(0); ++row) {
        indices[indices.size() - 2] = arith::AddIOp::create(
            b, loc, first, arith::ConstantIndexOp::create(b, loc, row));
        memref::PrefetchOp::create(b, loc, write.getBase(), indices,
                                   /*isWrite=*/true, /*localityHint=*/3,
                                   /*isDataCache=*/true);
      }
    }
    Value zeros = arith::ConstantOp::create(
        b, loc, type,
        DenseElementsAttr::get(type, b.getZeroAttr(type.getElementType())));
    loop.getInitArgsMutable()[0].set(zeros);
    init->moveAfter(loop);
    b.setInsertionPointAfter(init);
    Value sum =
        arith::AddFOp::create(b, loc, loop.getResult(0), init->getResult(0));
    write.getValueToStoreMutable().set(sum);
  }
}

struct LowerMatmulVectorsPass
    : WithOptionErrors<
          tp::impl::LowerMatmulVectorsBase<LowerMatmulVectorsPass>> {
  using WithOptionErrors::WithOptionErrors;
  void runOnOperation() override {
    // 16 x 16 f32 transposes have an AVX-512 shuffle sequence; others are
    // one flat shuffle that LLVM lowers.
    FailureOr<int64_t> lanes = resolveLanes(getOperation(), vectorLanes);
    if (failed(lanes))
      return signalPassFailure();
    getOperation().walk([](func::FuncOp fn) { deferAccumulatorReads(fn); });
    if (failed(runSchedule(getOperation(), kLowerSchedule)))
      return signalPassFailure();
    // Each element of a panel of x that the outer products broadcast, read
    // as a scalar: LLVM then broadcasts it straight from memory
    // (vbroadcastss), where a vector read of a 6-row panel split into a
    // 4- and a 2-element load and shuffles on the FMA units' ports.
    // Only where that is the same read: each extract in the read's block,
    // with nothing between that writes memory.
    SmallVector<Operation *> extracts;
    getOperation().walk([&](vector::TransferReadOp read) {
      if (!isa<MemRefType>(read.getBase().getType()) || read.getMask() ||
          read->use_empty())
        return;
      Operation *last = read;
      for (Operation *user : read->getUsers()) {
        if (!isa<vector::ExtractOp>(user) ||
            user->getBlock() != read->getBlock())
          return;
        if (last->isBeforeInBlock(user))
          last = user;
      }
      for (Operation *op = read->getNextNode(); op != last;
           op = op->getNextNode())
        if (mayWriteMemory(op))
          return;
      llvm::append_range(extracts, read->getUsers());
    });
    RewritePatternSet scalarReads(&getContext());
    vector::populateScalarVectorTransferLoweringPatterns(
        scalarReads, /*benefit=*/1, /*allowMultipleUses=*/true);
    if (failed(
            applyOpPatternsGreedily(extracts, std::move(scalarReads),
                                    GreedyRewriteConfig().setStrictness(
                                        GreedyRewriteStrictness::ExistingOps))))
      return signalPassFailure();
    std::string schedule = instantiate(
        kLowerRestSchedule,
        {{"TRANSPOSE", *lanes == 16 ? "shuffle_16x16" : "shuffle_1d"}});
    if (failed(runSchedule(getOperation(), schedule)))
      signalPassFailure();
  }
};
} // namespace
