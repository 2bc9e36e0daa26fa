//===- StridedCopiesToLinalg.cpp - copies the LLVM lowering cannot inline -===//

#include "tp-mlir/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/Builders.h"

namespace mlir::tp {
#define GEN_PASS_DEF_STRIDEDCOPIESTOLINALG
#include "tp-mlir/Conversion/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;

namespace {
/// What the LLVM lowering copies with a memcpy of its own (the rule of
/// MemRefCopyOpLowering): the identity layout, or a static contiguous
/// row-major shape.
bool copiedInline(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref && (memref.getLayout().isIdentity() ||
                    (memref.hasStaticShape() &&
                     memref::isStaticShapeAndContiguousRowMajor(memref)));
}

struct StridedCopiesToLinalgPass
    : tp::impl::StridedCopiesToLinalgBase<StridedCopiesToLinalgPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation()->walk([&](memref::CopyOp copy) {
      // linalg.copy takes ranked memrefs; an unranked copy stays a call.
      if (!isa<MemRefType>(copy.getSource().getType()) ||
          !isa<MemRefType>(copy.getTarget().getType()))
        return;
      if (!copiedInline(copy.getSource().getType()) ||
          !copiedInline(copy.getTarget().getType()))
        copies.push_back(copy);
    });
    for (memref::CopyOp copy : copies) {
      OpBuilder b(copy);
      linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(),
                             copy.getTarget());
      copy.erase();
    }
  }
};
} // namespace
