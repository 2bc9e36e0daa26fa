//===- TPCollectiveOps.cpp - verifiers and folds of the collectives -------===//

#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "tp-mlir/Dialect/TP/IR/TPSharding.h"
#include "tp-mlir/Support/Limits.h"

using namespace mlir;
using namespace mlir::tp;

/// The mesh of a collective, or an error naming what is missing.
static FailureOr<MeshAttr> requireMesh(Operation *op) {
  if (MeshAttr mesh = lookupMesh(op))
    return mesh;
  return op->emitOpError() << "requires an enclosing module with a '"
                           << TPDialect::kMeshAttrName << "' attribute";
}

/// Checks a (full, local) pair of types related by the balanced split of
/// dimension `dim`: the local dimension is the full one over the mesh, and
/// every other dimension is unchanged.
static LogicalResult verifySplitPair(Operation *op, RankedTensorType full,
                                     StringRef fullName, RankedTensorType local,
                                     StringRef localName, int64_t dim) {
  FailureOr<MeshAttr> mesh = requireMesh(op);
  if (failed(mesh) || failed(verifyTensorPolicy(op, fullName, full)) ||
      failed(verifyTensorPolicy(op, localName, local)))
    return failure();
  if (full.getElementType() != local.getElementType())
    return op->emitOpError()
           << "expected the same element type in operand and result, found "
           << full.getElementType() << " and " << local.getElementType();
  if (full.getRank() != local.getRank())
    return op->emitOpError()
           << "expected the same rank in operand and result, found "
           << full.getRank() << " and " << local.getRank();
  if (dim < 0 || dim >= full.getRank())
    return op->emitOpError()
           << "expected dim in [0, " << full.getRank() << "), found " << dim;
  for (int64_t d = 0; d < full.getRank(); ++d) {
    if (d == dim)
      continue;
    int64_t a = full.getDimSize(d), b = local.getDimSize(d);
    if (ShapedType::isStatic(a) && ShapedType::isStatic(b) && a != b)
      return op->emitOpError()
             << "expected dim " << d << " to be the same in " << fullName
             << " and " << localName << ", found " << a << " and " << b;
  }
  int64_t devices = mesh->getNumDevices();
  int64_t fullSize = full.getDimSize(dim);
  int64_t localSize = local.getDimSize(dim);
  if (ShapedType::isDynamic(localSize))
    return success();
  int64_t expected = getLocalDimSize(fullSize, devices);
  if (ShapedType::isDynamic(expected)) {
    if (ShapedType::isDynamic(fullSize))
      return success();
    return op->emitOpError()
           << "expected a dynamic dim " << dim << " in " << localName << ": "
           << fullSize << " does not split evenly over " << devices
           << " devices, found " << localSize;
  }
  if (localSize != expected)
    return op->emitOpError()
           << "expected dim " << dim << " of " << localName << " to be "
           << expected << " (" << fullSize << " over " << devices
           << " devices) or dynamic, found " << localSize;
  return success();
}

/// A `size` operand gives the full extent of a dynamic dimension; on a
/// static one it would be a second, possibly contradicting, source of truth.
static LogicalResult verifySizeOperand(Operation *op, Value size,
                                       RankedTensorType result, int64_t dim) {
  if (!size || dim < 0 || dim >= result.getRank() || result.isDynamicDim(dim))
    return success();
  return op->emitOpError() << "has a 'size' operand, but dim " << dim
                           << " of the result is static ("
                           << result.getDimSize(dim)
                           << "); give 'size' only for a dynamic dimension";
}

LogicalResult AllGatherOp::verify() {
  if (failed(verifySplitPair(*this, getResult().getType(),
                             "the gathered result", getInput().getType(),
                             "the local operand", getDim())))
    return failure();
  return verifySizeOperand(*this, getSize(), getResult().getType(), getDim());
}

LogicalResult AllToAllOp::verify() {
  RankedTensorType input = getInput().getType(), result = getResult().getType();
  int64_t split = getSplit(), concat = getConcat();
  int64_t rank = input.getRank();
  for (auto [name, dim] :
       {std::pair<StringRef, int64_t>{"split", split}, {"concat", concat}})
    if (dim < 0 || dim >= rank)
      return emitOpError() << "expected " << name << " in [0, " << rank
                           << "), found " << dim;
  if (split == concat)
    return emitOpError() << "expected different split and concat dims, found "
                         << split << " for both";
  if (result.getRank() != rank)
    return emitOpError()
           << "expected the same rank in operand and result, found " << rank
           << " and " << result.getRank();
  // The whole tensor: the result's concat dim and the operand's split dim.
  SmallVector<int64_t> shape(input.getShape());
  shape[concat] = result.getDimSize(concat);
  auto full = input.clone(shape);
  if (failed(verifySplitPair(*this, full, "the whole tensor", input,
                             "the local operand", concat)) ||
      failed(verifySplitPair(*this, full, "the whole tensor", result,
                             "the local result", split)))
    return failure();
  return verifySizeOperand(*this, getSize(), result, concat);
}

LogicalResult AllSliceOp::verify() {
  return verifySplitPair(*this, getInput().getType(), "the full operand",
                         getResult().getType(), "the local result", getDim());
}

LogicalResult ReduceScatterOp::verify() {
  return verifySplitPair(*this, getInput().getType(), "the full operand",
                         getResult().getType(), "the local result", getDim());
}

LogicalResult AllReduceOp::verify() {
  if (failed(requireMesh(*this)))
    return failure();
  return verifyTensorPolicy(*this, "the operand", getInput().getType());
}

/// On a one-device mesh every collective is the identity (when the types
/// agree; a static/dynamic difference is left to the backend).
static OpFoldResult foldOnOneDevice(Operation *op, Value input) {
  MeshAttr mesh = lookupMesh(op);
  if (mesh && mesh.getNumDevices() == 1 &&
      input.getType() == op->getResult(0).getType())
    return input;
  return {};
}

OpFoldResult AllGatherOp::fold(FoldAdaptor) {
  return foldOnOneDevice(*this, getInput());
}
OpFoldResult AllToAllOp::fold(FoldAdaptor) {
  return foldOnOneDevice(*this, getInput());
}
OpFoldResult AllSliceOp::fold(FoldAdaptor) {
  return foldOnOneDevice(*this, getInput());
}
OpFoldResult AllReduceOp::fold(FoldAdaptor) {
  return foldOnOneDevice(*this, getInput());
}
OpFoldResult ReduceScatterOp::fold(FoldAdaptor) {
  return foldOnOneDevice(*this, getInput());
}

/// The most asynchronous collectives in flight at once inside `block`
/// (each block's starts are waited for in it).
static int64_t peakInFlight(Block &block) {
  int64_t live = 0, peak = 0;
  for (Operation &op : block) {
    if (isa<AllReduceStartOp, AllGatherStartOp>(op))
      peak = std::max(peak, ++live);
    else if (isa<WaitOp>(op))
      live = std::max<int64_t>(live - 1, 0);
    for (Region &region : op.getRegions())
      for (Block &inner : region)
        peak = std::max(peak, live + peakInFlight(inner));
  }
  return peak;
}

/// Every device completes its collectives in the order it started them,
/// with at most kMaxCollectivesInFlight in flight (the runtimes keep that
/// many): between `start` and its `wait`, no collective started after it
/// is waited for, and the ones started there keep the total in bounds.
static LogicalResult verifyInFlight(Operation *start, Operation *wait) {
  int64_t live = 1, peak = 1;
  for (Operation *op = start->getNextNode(); op != wait;
       op = op->getNextNode()) {
    if (auto other = dyn_cast<WaitOp>(op)) {
      Operation *younger = other.getPending().getDefiningOp();
      if (younger && younger->getBlock() == start->getBlock() &&
          start->isBeforeInBlock(younger))
        return start->emitOpError()
               << "expects its 'tp.wait' before that of every collective "
                  "started after it, found the '"
               << younger->getName() << "' at " << younger->getLoc()
               << " waited for first; collectives complete in the order "
                  "they start";
      continue;
    }
    if (isa<AllReduceStartOp, AllGatherStartOp>(op))
      peak = std::max(peak, ++live);
    for (Region &region : op->getRegions())
      for (Block &inner : region)
        peak = std::max(peak, live + peakInFlight(inner));
  }
  if (peak > kMaxCollectivesInFlight)
    return start->emitOpError()
           << "expects at most " << kMaxCollectivesInFlight
           << " asynchronous collectives in flight at once, found " << peak
           << " before its 'tp.wait'";
  return success();
}

/// A pending value is completed by exactly one tp.wait in its block: the
/// lowering pairs them, and a collective never waited for would leave the
/// others waiting for this device.
static LogicalResult verifyWaitedOnce(Operation *start, Value pending) {
  if (!pending.hasOneUse())
    return start->emitOpError()
           << "expects its result to be waited for exactly once, found "
           << std::distance(pending.use_begin(), pending.use_end()) << " uses";
  Operation *user = *pending.user_begin();
  if (!isa<WaitOp>(user) || user->getBlock() != start->getBlock())
    return start->emitOpError()
           << "expects its result to be used by a 'tp.wait' in the same "
              "block, found '"
           << user->getName() << "'";
  if (!start->isBeforeInBlock(user))
    return success(); // the wait's use before its definition is reported
  return verifyInFlight(start, user);
}

LogicalResult AllReduceStartOp::verify() {
  if (failed(requireMesh(*this)) ||
      failed(verifyTensorPolicy(*this, "the operand", getInput().getType())))
    return failure();
  if (getInput().getType() != getValueType())
    return emitOpError() << "expects the pending tensor to have the operand's "
                            "type "
                         << getInput().getType() << ", found "
                         << getValueType();
  return verifyWaitedOnce(*this, getPending());
}

LogicalResult AllGatherStartOp::verify() {
  if (failed(verifySplitPair(*this, getValueType(), "the gathered result",
                             getInput().getType(), "the local operand",
                             getDim())) ||
      failed(verifySizeOperand(*this, getSize(), getValueType(), getDim())))
    return failure();
  return verifyWaitedOnce(*this, getPending());
}

LogicalResult WaitOp::verify() {
  Operation *start = getPending().getDefiningOp();
  if (!start || !isa<AllReduceStartOp, AllGatherStartOp>(start) ||
      start->getBlock() != (*this)->getBlock())
    return emitOpError() << "expects a pending value started in the same "
                            "block (by 'tp.all_reduce_start' or "
                            "'tp.all_gather_start')";
  return success();
}

LogicalResult WaitOp::canonicalize(WaitOp op, PatternRewriter &rewriter) {
  Operation *start = op.getPending().getDefiningOp();
  if (!start || !isa<AllReduceStartOp, AllGatherStartOp>(start) ||
      !op.getPending().hasOneUse())
    return failure();
  Value input = start->getOperand(0);
  MeshAttr mesh = lookupMesh(start);
  if (!mesh || mesh.getNumDevices() != 1 || input.getType() != op.getType())
    return failure();
  rewriter.replaceOp(op, input);
  rewriter.eraseOp(start);
  return success();
}
