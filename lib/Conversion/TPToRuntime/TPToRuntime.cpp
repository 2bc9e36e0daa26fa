//===- TPToRuntime.cpp - collectives to tp runtime calls ------------------===//
//
// Collectives are lowered before bufferization, to calls on buffers wrapped
// in to_buffer / to_tensor(restrict), so that one-shot bufferization needs
// no interface implementation for tp ops and handles everything else. The
// callees come from a CollectiveABI, so the same patterns serve every
// runtime.
//
//===----------------------------------------------------------------------===//

#include "../RuntimeCalls.h"

#include "tp-mlir/Conversion/Passes.h"
#include "tp-mlir/Conversion/TPToRuntime/TPToRuntime.h"
#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "tp-mlir/Dialect/TP/IR/TPSharding.h"
#include "tp-mlir/Runtime/EntryPoints.h"
#include "tp-mlir/Support/OptionErrors.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::tp {
#define GEN_PASS_DEF_CONVERTTPTORUNTIME
#include "tp-mlir/Conversion/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;

namespace {
Value indexConstant(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// The extent of dimension `dim` of a tensor value, as an index value.
Value extentOf(OpBuilder &b, Location loc, Value tensor, int64_t dim) {
  auto type = cast<RankedTensorType>(tensor.getType());
  if (type.isDynamicDim(dim))
    return tensor::DimOp::create(b, loc, tensor, dim);
  return indexConstant(b, loc, type.getDimSize(dim));
}

/// A read-only view of `tensor` as an unranked memref, as `abi` takes it.
Value readBuffer(OpBuilder &b, Location loc, Value tensor,
                 const CollectiveABI &abi) {
  auto type = cast<RankedTensorType>(tensor.getType());
  Value buffer =
      abi.contiguousInputs
          ? bufferization::ToBufferOp::create(
                b, loc,
                MemRefType::get(type.getShape(), type.getElementType(),
                                MemRefLayoutAttrInterface(), abi.memorySpace),
                tensor, /*read_only=*/true)
          : readStridedBuffer(b, loc, tensor, abi.memorySpace);
  return memref::CastOp::create(
      b, loc, UnrankedMemRefType::get(type.getElementType(), abi.memorySpace),
      buffer);
}

/// Allocates the result of a collective, calls `callee` with (input, output,
/// extra...), and returns the result as a tensor.
Value callCollective(ConversionPatternRewriter &rewriter, Operation *op,
                     const CollectiveABI &abi, StringRef callee, Value input,
                     ArrayRef<Value> dynamicSizes, ArrayRef<Value> extra) {
  Location loc = op->getLoc();
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  auto bufferType =
      MemRefType::get(resultType.getShape(), resultType.getElementType(),
                      MemRefLayoutAttrInterface(), abi.memorySpace);
  Value out = memref::AllocOp::create(rewriter, loc, bufferType, dynamicSizes);
  Type unranked =
      UnrankedMemRefType::get(resultType.getElementType(), abi.memorySpace);
  SmallVector<Value> args{readBuffer(rewriter, loc, input, abi),
                          memref::CastOp::create(rewriter, loc, unranked, out)};
  SmallVector<Type> argTypes{unranked, unranked};
  for (Value v : extra) {
    args.push_back(v);
    argTypes.push_back(v.getType());
  }
  auto module = op->getParentOfType<ModuleOp>();
  func::FuncOp fn = getOrInsertRuntimeFunc(
      rewriter, module, callee, rewriter.getFunctionType(argTypes, {}),
      /*cInterface=*/true);
  func::CallOp::create(rewriter, loc, fn, args);
  return bufferization::ToTensorOp::create(rewriter, loc, resultType, out,
                                           /*restrict=*/true,
                                           /*writable=*/true);
}

/// The dynamic sizes of a collective's result: every dynamic dim other than
/// `dim` has the operand's extent; `dim` itself is given.
SmallVector<Value> resultSizes(OpBuilder &b, Location loc, Value input,
                               RankedTensorType resultType,
                               std::optional<int64_t> dim, Value dimSize) {
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < resultType.getRank(); ++d) {
    if (!resultType.isDynamicDim(d))
      continue;
    sizes.push_back(dim && d == *dim ? dimSize : extentOf(b, loc, input, d));
  }
  return sizes;
}

int64_t meshDevices(Operation *op) { return lookupMesh(op).getNumDevices(); }

Value i64Constant(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIntOp::create(b, loc, b.getI64Type(), v);
}
Value i32Constant(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIntOp::create(b, loc, b.getI32Type(), v);
}

/// A pattern that calls into the runtime described by an ABI.
template <typename Op> struct RuntimePattern : OpConversionPattern<Op> {
  RuntimePattern(MLIRContext *ctx, const CollectiveABI &abi)
      : OpConversionPattern<Op>(ctx), abi(abi) {}

  /// Whether the runtime implements collectives on `op`'s element type.
  LogicalResult checkElementType(Op op,
                                 ConversionPatternRewriter &rewriter) const {
    Type element = cast<RankedTensorType>(op.getType()).getElementType();
    if (abi.supportsElementType && abi.supportsElementType(element))
      return success();
    return rewriter.notifyMatchFailure(op, [&](Diagnostic &diag) {
      diag << "the " << abi.name << " runtime has no collectives on "
           << element;
    });
  }

  CollectiveABI abi;
};

struct RankToCall : RuntimePattern<RankOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult
  matchAndRewrite(RankOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto module = op->getParentOfType<ModuleOp>();
    func::FuncOp fn = getOrInsertRuntimeFunc(
        rewriter, module, abi.rank,
        rewriter.getFunctionType({}, {rewriter.getI64Type()}),
        /*cInterface=*/false);
    Value rank = func::CallOp::create(rewriter, op.getLoc(), fn, ValueRange{})
                     .getResult(0);
    rewriter.replaceOpWithNewOp<arith::IndexCastOp>(op, rewriter.getIndexType(),
                                                    rank);
    return success();
  }
};

struct AllSliceToExtractSlice : OpConversionPattern<AllSliceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(AllSliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    int64_t dim = op.getDim();
    Value rank = RankOp::create(rewriter, loc);
    auto [offset, size] =
        buildBalancedShard(rewriter, loc, extentOf(rewriter, loc, input, dim),
                           meshDevices(op), rank);
    SmallVector<OpFoldResult> offsets, sizes,
        strides(inputType.getRank(), rewriter.getIndexAttr(1));
    for (int64_t d = 0; d < inputType.getRank(); ++d) {
      if (d == dim) {
        offsets.push_back(offset);
        int64_t staticSize = op.getType().getDimSize(d);
        sizes.push_back(ShapedType::isDynamic(staticSize)
                            ? OpFoldResult(size)
                            : rewriter.getIndexAttr(staticSize));
        continue;
      }
      offsets.push_back(rewriter.getIndexAttr(0));
      sizes.push_back(inputType.isDynamicDim(d)
                          ? OpFoldResult(extentOf(rewriter, loc, input, d))
                          : rewriter.getIndexAttr(inputType.getDimSize(d)));
    }
    // The slice's type follows the operand's static sizes; the verifier
    // lets the result have a static size where the operand has a dynamic
    // one, or the reverse, so a cast gives the result's type.
    Value slice = tensor::ExtractSliceOp::create(rewriter, loc, input, offsets,
                                                 sizes, strides);
    if (slice.getType() != op.getType())
      slice = tensor::CastOp::create(rewriter, loc, op.getType(), slice);
    rewriter.replaceOp(op, slice);
    return success();
  }
};

/// The full extent of `dim` of a gathering collective's result: static, or
/// its `size` operand.
FailureOr<Value> gatheredExtent(ConversionPatternRewriter &rewriter,
                                Operation *op, RankedTensorType resultType,
                                int64_t dim, Value size) {
  if (!resultType.isDynamicDim(dim))
    return Value();
  if (size)
    return size;
  return rewriter.notifyMatchFailure(op, [&](Diagnostic &diag) {
    diag << "dim " << dim
         << " of the result is dynamic, and no 'size' operand gives its "
            "full extent";
  });
}

struct AllGatherToCall : RuntimePattern<AllGatherOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult
  matchAndRewrite(AllGatherOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(checkElementType(op, rewriter)))
      return failure();
    int64_t dim = op.getDim();
    FailureOr<Value> extent =
        gatheredExtent(rewriter, op, op.getType(), dim, adaptor.getSize());
    if (failed(extent))
      return failure();
    Location loc = op.getLoc();
    SmallVector<Value> sizes = resultSizes(rewriter, loc, adaptor.getInput(),
                                           op.getType(), dim, *extent);
    rewriter.replaceOp(op, callCollective(rewriter, op, abi, abi.allGather,
                                          adaptor.getInput(), sizes,
                                          {i64Constant(rewriter, loc, dim)}));
    return success();
  }
};

struct AllToAllToCall : RuntimePattern<AllToAllOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult
  matchAndRewrite(AllToAllOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(checkElementType(op, rewriter)))
      return failure();
    int64_t split = op.getSplit(), concat = op.getConcat();
    RankedTensorType resultType = op.getType();
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    if (abi.allToAll.empty()) {
      // The same values through the runtime's gather: the whole tensor,
      // then this rank's slice of it.
      auto inputType = cast<RankedTensorType>(input.getType());
      SmallVector<int64_t> shape(inputType.getShape());
      shape[concat] = resultType.getDimSize(concat);
      Value whole =
          AllGatherOp::create(rewriter, loc, inputType.clone(shape), input,
                              op.getConcatAttr(), adaptor.getSize());
      rewriter.replaceOpWithNewOp<AllSliceOp>(op, resultType, whole,
                                              op.getSplitAttr());
      return success();
    }
    FailureOr<Value> extent =
        gatheredExtent(rewriter, op, resultType, concat, adaptor.getSize());
    if (failed(extent))
      return failure();
    SmallVector<Value> sizes;
    for (int64_t d = 0; d < resultType.getRank(); ++d) {
      if (!resultType.isDynamicDim(d))
        continue;
      if (d == concat)
        sizes.push_back(*extent);
      else if (d == split)
        sizes.push_back(
            buildBalancedShard(rewriter, loc, extentOf(rewriter, loc, input, d),
                               meshDevices(op), RankOp::create(rewriter, loc))
                .second);
      else
        sizes.push_back(extentOf(rewriter, loc, input, d));
    }
    rewriter.replaceOp(
        op, callCollective(rewriter, op, abi, abi.allToAll, input, sizes,
                           {i64Constant(rewriter, loc, split),
                            i64Constant(rewriter, loc, concat)}));
    return success();
  }
};

struct AllReduceToCall : RuntimePattern<AllReduceOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult
  matchAndRewrite(AllReduceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(checkElementType(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    SmallVector<Value> sizes = resultSizes(rewriter, loc, adaptor.getInput(),
                                           op.getType(), std::nullopt, {});
    Value kind = i32Constant(rewriter, loc, static_cast<int>(op.getKind()));
    rewriter.replaceOp(op, callCollective(rewriter, op, abi, abi.allReduce,
                                          adaptor.getInput(), sizes, {kind}));
    return success();
  }
};

struct ReduceScatterToCall : RuntimePattern<ReduceScatterOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult
  matchAndRewrite(ReduceScatterOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(checkElementType(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    int64_t dim = op.getDim();
    Value input = adaptor.getInput();
    Value size;
    if (op.getType().isDynamicDim(dim)) {
      Value rank = RankOp::create(rewriter, loc);
      size =
          buildBalancedShard(rewriter, loc, extentOf(rewriter, loc, input, dim),
                             meshDevices(op), rank)
              .second;
    }
    SmallVector<Value> sizes =
        resultSizes(rewriter, loc, input, op.getType(), dim, size);
    Value kind = i32Constant(rewriter, loc, static_cast<int>(op.getKind()));
    rewriter.replaceOp(
        op, callCollective(rewriter, op, abi, abi.reduceScatter, input, sizes,
                           {i64Constant(rewriter, loc, dim), kind}));
    return success();
  }
};

/// Rows of one output that asynchronous collectives fill in place: a
/// tensor.empty, then a chain of insert_slices, each of a tp.wait result
/// that has no other use, into the previous one (what
/// tp-overlap-collectives makes). Lowered, each collective writes its
/// piece of one buffer, and the chain is that buffer.
struct InPlaceJoin {
  tensor::EmptyOp root;
  SmallVector<tensor::InsertSliceOp> inserts;
  Value buffer;
};

/// The join rooted at `root`, if every piece of it can be written in place:
/// one block holds the whole join; the slice bounds and the root are
/// available where each piece's collective starts; pieces are full-rank;
/// and the collectives start and complete in the order of their inserts, so
/// that a later insert's rows are written last, as tensor semantics say.
std::optional<InPlaceJoin> matchInPlaceJoin(tensor::EmptyOp root,
                                            DominanceInfo &dominance) {
  InPlaceJoin join{root, {}, Value()};
  Block *block = root->getBlock();
  Value dest = root.getResult();
  Operation *lastStart = nullptr, *lastWait = nullptr;
  while (dest.hasOneUse()) {
    auto insert = dyn_cast<tensor::InsertSliceOp>(*dest.user_begin());
    if (!insert || insert.getDest() != dest)
      break;
    auto wait = insert.getSource().getDefiningOp<WaitOp>();
    if (!wait || !wait->hasOneUse() || insert->getBlock() != block ||
        wait->getBlock() != block ||
        insert.getSourceType().getRank() != insert.getType().getRank())
      return std::nullopt;
    Operation *start = wait.getPending().getDefiningOp();
    if (!dominance.properlyDominates(root.getOperation(), start) ||
        (lastStart && !lastStart->isBeforeInBlock(start)) ||
        (lastWait && !lastWait->isBeforeInBlock(wait)))
      return std::nullopt;
    lastStart = start;
    lastWait = wait;
    for (Value v : insert->getOperands().drop_front(2))
      if (!dominance.properlyDominates(v, start))
        return std::nullopt;
    join.inserts.push_back(insert);
    dest = insert.getResult();
  }
  if (join.inserts.empty())
    return std::nullopt;
  return join;
}

/// Lowers each tp.wait and the start op of its pending value: at the start,
/// the result buffer is allocated (or, in an in-place join, taken as a
/// view of the join's buffer) and the runtime's start function called; at
/// the wait, its wait function, given the same buffers (which keeps both
/// alive until then), and the result becomes a tensor there.
LogicalResult lowerAsyncCollectives(ModuleOp module, const CollectiveABI &abi) {
  SmallVector<WaitOp> waits;
  module.walk([&](WaitOp op) { waits.push_back(op); });
  if (waits.empty())
    return success();

  DominanceInfo dominance(module);
  SmallVector<InPlaceJoin> joins;
  module.walk([&](tensor::EmptyOp root) {
    if (std::optional<InPlaceJoin> join = matchInPlaceJoin(root, dominance))
      joins.push_back(std::move(*join));
  });
  llvm::DenseMap<Operation *, std::pair<InPlaceJoin *, tensor::InsertSliceOp>>
      inPlace;
  for (InPlaceJoin &join : joins) {
    OpBuilder b(join.root);
    RankedTensorType type = join.root.getType();
    join.buffer = memref::AllocOp::create(
        b, join.root.getLoc(),
        MemRefType::get(type.getShape(), type.getElementType(),
                        MemRefLayoutAttrInterface(), abi.memorySpace),
        join.root.getDynamicSizes());
    for (tensor::InsertSliceOp insert : join.inserts)
      inPlace[insert.getSource().getDefiningOp()] = {&join, insert};
  }

  for (WaitOp wait : waits) {
    Operation *start = wait.getPending().getDefiningOp();
    if (abi.wait.empty())
      return start->emitOpError()
             << "cannot be lowered: the " << abi.name
             << " runtime has no asynchronous collectives (use "
                "tp.all_reduce and tp.all_gather)";
    RankedTensorType valueType = wait.getType();
    if (!abi.supportsElementType ||
        !abi.supportsElementType(valueType.getElementType()))
      return start->emitOpError()
             << "cannot be lowered: the " << abi.name
             << " runtime has no collectives on " << valueType.getElementType();
    OpBuilder b(start);
    Location loc = start->getLoc();
    Value input = start->getOperand(0);
    SmallVector<Value> extra;
    StringRef callee;
    // A gather's dim, and its full extent where that is dynamic.
    std::optional<int64_t> gatherDim;
    Value gatherSize;
    if (auto reduce = dyn_cast<AllReduceStartOp>(start)) {
      extra.push_back(i32Constant(b, loc, static_cast<int>(reduce.getKind())));
      callee = abi.allReduceStart;
    } else {
      auto gather = cast<AllGatherStartOp>(start);
      int64_t dim = gather.getDim();
      if (valueType.isDynamicDim(dim) && !gather.getSize())
        return gather.emitOpError()
               << "gathers along dim " << dim
               << ", which is dynamic in the result, without a 'size' "
                  "operand: code cannot allocate the result without its "
                  "full extent";
      gatherDim = dim;
      gatherSize = gather.getSize();
      extra.push_back(i64Constant(b, loc, dim));
      callee = abi.allGatherStart;
    }
    auto piece = inPlace.find(wait);
    Value out;
    if (piece != inPlace.end()) {
      tensor::InsertSliceOp insert = piece->second.second;
      out = memref::SubViewOp::create(
          b, loc, piece->second.first->buffer, insert.getMixedOffsets(),
          insert.getMixedSizes(), insert.getMixedStrides());
    } else {
      out = memref::AllocOp::create(
          b, loc,
          MemRefType::get(valueType.getShape(), valueType.getElementType(),
                          MemRefLayoutAttrInterface(), abi.memorySpace),
          resultSizes(b, loc, input, valueType, gatherDim, gatherSize));
    }
    Type unranked =
        UnrankedMemRefType::get(valueType.getElementType(), abi.memorySpace);
    Value in = readBuffer(b, loc, input, abi);
    Value outArg = memref::CastOp::create(b, loc, unranked, out);
    SmallVector<Value> args{in, outArg};
    args.append(extra);
    SmallVector<Type> argTypes;
    for (Value v : args)
      argTypes.push_back(v.getType());
    func::FuncOp startFn = getOrInsertRuntimeFunc(
        b, module, callee, b.getFunctionType(argTypes, {b.getI64Type()}),
        /*cInterface=*/true);
    Value handle = func::CallOp::create(b, loc, startFn, args).getResult(0);

    // The input is read again at the wait, as far as bufferization can
    // tell: the runtime reads it until then, so nothing may write its
    // buffer in place in between (a write there gets a copy instead).
    b.setInsertionPoint(wait);
    Value inAtWait = readBuffer(b, loc, input, abi);
    func::FuncOp waitFn = getOrInsertRuntimeFunc(
        b, module, abi.wait,
        b.getFunctionType({b.getI64Type(), unranked, unranked}, {}),
        /*cInterface=*/true);
    func::CallOp::create(b, wait.getLoc(), waitFn,
                         ValueRange{handle, inAtWait, outArg});
    if (piece != inPlace.end())
      continue; // the join's buffer is the result
    Value result = bufferization::ToTensorOp::create(
        b, wait.getLoc(), valueType, out, /*restrict=*/true,
        /*writable=*/true);
    wait.replaceAllUsesWith(result);
    wait.erase();
    start->erase();
  }

  // Each join is its buffer once its last piece is complete.
  for (InPlaceJoin &join : joins) {
    tensor::InsertSliceOp last = join.inserts.back();
    OpBuilder b(last);
    Value whole = bufferization::ToTensorOp::create(
        b, last.getLoc(), join.root.getType(), join.buffer,
        /*restrict=*/true, /*writable=*/true);
    last.getResult().replaceAllUsesWith(whole);
    for (tensor::InsertSliceOp insert : llvm::reverse(join.inserts)) {
      auto wait = insert.getSource().getDefiningOp<WaitOp>();
      Operation *start = wait.getPending().getDefiningOp();
      insert.erase();
      wait.erase();
      start->erase();
    }
    join.root.erase();
  }
  return success();
}

struct ConvertTPToRuntimePass
    : WithOptionErrors<
          tp::impl::ConvertTPToRuntimeBase<ConvertTPToRuntimePass>> {
  using WithOptionErrors::WithOptionErrors;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    const CollectiveABI &abi = runtime == RuntimeTarget::gpu
                                   ? getGPUCollectiveABI()
                                   : getHostCollectiveABI();
    // A gathered dynamic extent has no value to allocate the result with
    // unless the op carries it; say so at the op rather than as a failure
    // to legalize.
    WalkResult sized = module.walk([](Operation *op) {
      std::optional<int64_t> dim;
      Value size;
      if (auto gather = dyn_cast<AllGatherOp>(op)) {
        dim = gather.getDim();
        size = gather.getSize();
      } else if (auto move = dyn_cast<AllToAllOp>(op)) {
        dim = move.getConcat();
        size = move.getSize();
      }
      if (!dim || size ||
          !cast<RankedTensorType>(op->getResult(0).getType())
               .isDynamicDim(*dim))
        return WalkResult::advance();
      op->emitOpError() << "gathers along dim " << *dim
                        << ", which is dynamic in the result, without a "
                           "'size' operand: code cannot allocate the result "
                           "without its full extent";
      return WalkResult::interrupt();
    });
    if (sized.wasInterrupted() || failed(lowerAsyncCollectives(module, abi)))
      return signalPassFailure();
    ConversionTarget target(getContext());
    configureTPToRuntimeTarget(target);
    RewritePatternSet patterns(&getContext());
    populateTPToRuntimePatterns(patterns, abi);
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      return signalPassFailure();
    for (auto fn : module.getOps<func::FuncOp>()) {
      if (!fn->hasAttr(TPDialect::kSPMDAttrName))
        continue;
      // Hosts call public partitioned functions through the C interface.
      if (fn.isPublic())
        fn->setAttr("llvm.emit_c_interface", UnitAttr::get(&getContext()));
      // Checkpoint names and manifest entries are the host's business; hosts
      // read them before lowering, and LLVM has no use for them. One new
      // array for all arguments: removing them one argument at a time
      // rebuilds the array each time, quadratic in the depth.
      SmallVector<DictionaryAttr> argAttrs;
      fn.getAllArgAttrs(argAttrs);
      for (DictionaryAttr &attrs : argAttrs) {
        NamedAttrList list(attrs);
        list.erase(TPDialect::kNameAttrName);
        list.erase(TPDialect::kShardAttrName);
        attrs = list.getDictionary(&getContext());
      }
      fn.setAllArgAttrs(argAttrs);
    }
  }
};
} // namespace

const CollectiveABI &mlir::tp::getHostCollectiveABI() {
  static const CollectiveABI abi{"host",
                                 rt::entry::kRank,
                                 rt::entry::kAllGather,
                                 rt::entry::kAllReduce,
                                 rt::entry::kReduceScatter,
                                 [](Type t) { return t.isF32(); },
                                 Attribute(),
                                 /*contiguousInputs=*/false,
                                 rt::entry::kAllToAll,
                                 rt::entry::kAllReduceStart,
                                 rt::entry::kAllGatherStart,
                                 rt::entry::kWait};
  return abi;
}

const CollectiveABI &mlir::tp::getGPUCollectiveABI() {
  // Compiled GPU code allocates every buffer in device memory (its
  // allocation functions are the GPU runtime's), so the default memory space
  // is device memory there.
  static const CollectiveABI abi{"GPU",
                                 rt::entry::kRank,
                                 rt::entry::kGPUAllGather,
                                 rt::entry::kGPUAllReduce,
                                 rt::entry::kGPUReduceScatter,
                                 [](Type t) { return t.isF32(); },
                                 Attribute(),
                                 /*contiguousInputs=*/true};
  return abi;
}

void mlir::tp::populateTPToRuntimePatterns(RewritePatternSet &patterns,
                                           const CollectiveABI &abi) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<AllSliceToExtractSlice>(ctx);
  patterns.add<RankToCall, AllGatherToCall, AllToAllToCall, AllReduceToCall,
               ReduceScatterToCall>(ctx, abi);
}

void mlir::tp::configureTPToRuntimeTarget(ConversionTarget &target) {
  target.addIllegalOp<RankOp, AllSliceOp, AllGatherOp, AllToAllOp, AllReduceOp,
                      ReduceScatterOp>();
  // Everything else (the local compute, already in linalg, and the buffer
  // casts and calls these patterns create) stays as it is.
  target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
}
