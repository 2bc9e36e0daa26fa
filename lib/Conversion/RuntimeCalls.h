//===- RuntimeCalls.h - declaring tp runtime functions in IR ----*- C++ -*-===//

#ifndef TP_MLIR_LIB_CONVERSION_RUNTIMECALLS_H
#define TP_MLIR_LIB_CONVERSION_RUNTIMECALLS_H

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::tp {

/// The private declaration of runtime function `name` in `module`, created
/// on first use. `cInterface` marks functions that take memrefs through
/// MLIR's C-interface descriptors (`_mlir_ciface_<name>`).
inline func::FuncOp getOrInsertRuntimeFunc(OpBuilder &builder, ModuleOp module,
                                           StringRef name, FunctionType type,
                                           bool cInterface) {
  if (auto fn = module.lookupSymbol<func::FuncOp>(name))
    return fn;
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(module.getBody());
  auto fn = func::FuncOp::create(builder, module.getLoc(), name, type);
  fn.setPrivate();
  if (cInterface)
    fn->setAttr("llvm.emit_c_interface", builder.getUnitAttr());
  return fn;
}

/// A read-only view of the ranked `tensor` as a memref of its shape with a
/// fully dynamic strided layout (any buffer bufferization gives it fits), in
/// `memorySpace`.
inline Value readStridedBuffer(OpBuilder &b, Location loc, Value tensor,
                               Attribute memorySpace) {
  auto type = cast<RankedTensorType>(tensor.getType());
  SmallVector<int64_t> strides(type.getRank(), ShapedType::kDynamic);
  auto layout =
      StridedLayoutAttr::get(b.getContext(), ShapedType::kDynamic, strides);
  auto memrefType = MemRefType::get(type.getShape(), type.getElementType(),
                                    layout, memorySpace);
  return bufferization::ToBufferOp::create(b, loc, memrefType, tensor,
                                           /*read_only=*/true);
}

} // namespace mlir::tp

#endif // TP_MLIR_LIB_CONVERSION_RUNTIMECALLS_H
