//===- OutlineSegments.cpp - bounded functions for LLVM -------------------===//
//
// Cuts each function's body into runs of consecutive top-level ops and
// moves every run into a function of its own, so that no function that
// reaches LLVM grows with the depth of the chain.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Conversion/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::tp {
#define GEN_PASS_DEF_OUTLINESEGMENTS
#include "tp-mlir/Conversion/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;

namespace {

/// Whether a value of `type` may cross a call: ranked memrefs and scalars
/// lower to plain LLVM arguments and results; an unranked memref's
/// descriptor lives on the stack of the function that made it.
bool canCross(Type type) {
  return isa<MemRefType, IndexType, IntegerType, FloatType>(type);
}

/// What stays in the function besides constants (which are cloned into
/// every segment that uses them): the terminator, and stack allocations,
/// whose memory would not outlive a segment.
bool staysOutside(Operation &op) {
  return op.hasTrait<OpTrait::IsTerminator>() || isa<memref::AllocaOp>(op);
}

/// Moves `ops` (consecutive in their block, in order) into a new private
/// function placed after `after`, calls it where the last of them was, and
/// returns it.
func::FuncOp outline(ArrayRef<Operation *> ops, func::FuncOp parent,
                     Operation *after, StringRef name, SymbolTable &symbols) {
  llvm::SmallPtrSet<Operation *, 32> inside(ops.begin(), ops.end());
  // Arguments: values from outside the segment (constants are cloned in);
  // results: values of the segment used after it.
  llvm::SetVector<Value> captured;
  SmallVector<Operation *> constants;
  llvm::SmallPtrSet<Operation *, 8> seenConstants;
  auto capture = [&](Value value) {
    Operation *def = value.getDefiningOp();
    if (def && inside.contains(def))
      return;
    if (def && def->hasTrait<OpTrait::ConstantLike>()) {
      if (seenConstants.insert(def).second)
        constants.push_back(def);
      return;
    }
    captured.insert(value);
  };
  SmallVector<Value> results;
  for (Operation *op : ops) {
    for (Value operand : op->getOperands())
      capture(operand);
    llvm::SetVector<Value> above;
    for (Region &region : op->getRegions())
      getUsedValuesDefinedAbove(region, above);
    for (Value value : above)
      capture(value);
    for (Value result : op->getResults())
      if (llvm::any_of(result.getUsers(), [&](Operation *user) {
            return !inside.contains(
                parent.getBody().findAncestorOpInRegion(*user));
          }))
        results.push_back(result);
  }

  MLIRContext *context = parent.getContext();
  OpBuilder builder(context);
  builder.setInsertionPointAfter(after);
  Location loc = ops.front()->getLoc();
  auto type =
      FunctionType::get(context, ValueRange(captured.getArrayRef()).getTypes(),
                        ValueRange(results).getTypes());
  auto fn = func::FuncOp::create(builder, loc, name, type);
  fn.setPrivate();
  // LLVM would inline a private function called once straight back.
  fn->setAttr("passthrough",
              builder.getArrayAttr({builder.getStringAttr("noinline")}));
  symbols.insert(fn);

  Block *body = fn.addEntryBlock();
  builder.setInsertionPointToStart(body);
  IRMapping mapping;
  for (auto [outer, inner] : llvm::zip(captured, body->getArguments()))
    mapping.map(outer, inner);
  for (Operation *constant : constants)
    builder.clone(*constant, mapping);
  for (Operation *op : ops)
    builder.clone(*op, mapping);
  SmallVector<Value> returned;
  for (Value result : results)
    returned.push_back(mapping.lookup(result));
  func::ReturnOp::create(builder, loc, returned);

  builder.setInsertionPoint(ops.back());
  auto call = func::CallOp::create(builder, loc, fn, captured.getArrayRef());
  for (auto [result, replacement] : llvm::zip(results, call.getResults()))
    result.replaceAllUsesWith(replacement);
  for (Operation *op : llvm::reverse(ops))
    op->erase();
  return fn;
}

struct OutlineSegments : public tp::impl::OutlineSegmentsBase<OutlineSegments> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> functions(module.getOps<func::FuncOp>());
    for (func::FuncOp fn : functions) {
      if (fn.isExternal() || !fn.getBody().hasOneBlock())
        continue;
      SmallVector<SmallVector<Operation *>> segments =
          findSegments(fn.getBody().front());
      Operation *after = fn;
      for (auto [index, segment] : llvm::enumerate(segments))
        after = outline(segment, fn, after,
                        (fn.getName() + ".part" + Twine(index)).str(), symbols);
    }
  }

  /// Runs of about `segmentOps` top-level ops of `block`, cut where no
  /// value that cannot cross a call is live and before each op that stays
  /// outside; none if the block is small, or cannot be cut.
  SmallVector<SmallVector<Operation *>> findSegments(Block &block) {
    SmallVector<SmallVector<Operation *>> segments;
    if (static_cast<int64_t>(block.getOperations().size()) <= segmentOps)
      return segments;
    SmallVector<Operation *> current;
    auto close = [&]() {
      if (current.empty())
        return true;
      if (!canEndAfter(current))
        return false;
      segments.push_back(std::move(current));
      current.clear();
      return true;
    };
    for (Operation &op : block) {
      if (op.hasTrait<OpTrait::ConstantLike>())
        continue;
      if (staysOutside(op)) {
        // It may use what the segment so far makes.
        if (!close())
          return {};
        continue;
      }
      current.push_back(&op);
      if (static_cast<int64_t>(current.size()) >= segmentOps)
        (void)close(); // or grow until a cut is possible
    }
    if (!close())
      return {};
    return segments;
  }

  /// Whether `segment` may end here: none of its values that cannot cross
  /// a call is used after it.
  static bool canEndAfter(ArrayRef<Operation *> segment) {
    llvm::SmallPtrSet<Operation *, 32> inside(segment.begin(), segment.end());
    Block *block = segment.front()->getBlock();
    for (Operation *op : segment)
      for (Value result : op->getResults())
        if (!canCross(result.getType()) &&
            llvm::any_of(result.getUsers(), [&](Operation *user) {
              return !inside.contains(block->findAncestorOpInBlock(*user));
            }))
          return false;
    return true;
  }
};

} // namespace
