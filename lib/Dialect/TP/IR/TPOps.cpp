//===- TPOps.cpp - tp dialect operations and their verifiers --------------===//

#include "tp-mlir/Dialect/TP/IR/TPOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "tp-mlir/Support/Limits.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::tp;

//===----------------------------------------------------------------------===//
// Shared checks
//===----------------------------------------------------------------------===//

LogicalResult mlir::tp::verifyTensorPolicy(Operation *op, StringRef what,
                                           RankedTensorType type) {
  if (!type.getElementType().isF32())
    return op->emitOpError()
           << "expected f32 elements in " << what << ", found "
           << type.getElementType()
           << " (tp computes in f32; no other element type is supported)";
  for (auto [dim, size] : llvm::enumerate(type.getShape()))
    if (size == 0)
      return op->emitOpError()
             << "expected non-zero dimensions in " << what
             << ", found size 0 in dim " << dim << " of " << type;
  SmallVector<int64_t> staticDims;
  for (int64_t size : type.getShape())
    if (!ShapedType::isDynamic(size))
      staticDims.push_back(size);
  if (!getCheckedNumElements(staticDims))
    return op->emitOpError()
           << "expected at most " << kMaxTensorElements << " elements in "
           << what << " (tp-mlir's limit), found " << type;
  return success();
}

LogicalResult mlir::tp::verifySPMDOnly(Operation *op) {
  auto fn = op->getParentOfType<FunctionOpInterface>();
  if (fn && fn->hasAttr(TPDialect::kSPMDAttrName))
    return success();
  return op->emitOpError()
         << "runs per device and belongs in a partitioned function (one "
            "marked '"
         << TPDialect::kSPMDAttrName
         << "', as tp-partition makes); in a model it would compute "
            "rank-dependent results";
}

static LogicalResult verifyRank(Operation *op, StringRef what,
                                RankedTensorType type, int64_t rank,
                                StringRef layout) {
  if (type.getRank() != rank)
    return op->emitOpError() << "expected " << what << " to be a rank-" << rank
                             << " tensor (" << layout << "), found rank "
                             << type.getRank() << " (" << type << ")";
  return success();
}

static LogicalResult verifyStaticDim(Operation *op, StringRef what,
                                     RankedTensorType type, unsigned dim,
                                     StringRef dimName) {
  if (type.isDynamicDim(dim))
    return op->emitOpError() << "expected a static " << dimName
                             << " dimension in " << what << ", found " << type
                             << " (only the batch dimension may be dynamic)";
  return success();
}

//===----------------------------------------------------------------------===//
// custom<EnumKeyword>: a tp enum attribute as a bare keyword
//===----------------------------------------------------------------------===//

/// Parses a bare keyword into the enum attribute `EnumAttrT`; an unknown
/// keyword gets an error that lists the valid ones.
template <typename EnumAttrT>
static ParseResult parseEnumKeyword(OpAsmParser &parser, EnumAttrT &attr) {
  using EnumT = decltype(std::declval<EnumAttrT>().getValue());
  SMLoc loc = parser.getCurrentLocation();
  StringRef keyword;
  if (failed(parser.parseKeyword(&keyword)))
    return failure();
  if (std::optional<EnumT> value = symbolizeEnum<EnumT>(keyword)) {
    attr = EnumAttrT::get(parser.getContext(), *value);
    return success();
  }
  std::string valid;
  for (uint32_t i = 0;; ++i) {
    StringRef name = stringifyEnum(static_cast<EnumT>(i));
    if (name.empty())
      break;
    valid += (i ? ", " : "") + name.str();
  }
  InFlightDiagnostic diag = parser.emitError(loc)
                            << "unknown " << EnumAttrT::getMnemonic() << " '"
                            << keyword << "'; expected one of: " << valid;
  // A softmax needs whole rows, so it is an op, not an elementwise kind.
  if (std::is_same_v<EnumAttrT, ActivationKindAttr> &&
      (keyword == "softmax" || keyword == "log_softmax"))
    diag << " (" << keyword << " is an op of its own: tp." << keyword << ")";
  return diag;
}

template <typename EnumAttrT>
static void printEnumKeyword(OpAsmPrinter &printer, Operation *,
                             EnumAttrT attr) {
  printer << stringifyEnum(attr.getValue());
}

//===----------------------------------------------------------------------===//
// custom<Activation>: a kind and its parameters, `leaky_relu(0.2)`
//===----------------------------------------------------------------------===//

static ParseResult parseActivation(OpAsmParser &parser,
                                   ActivationKindAttr &kind,
                                   DenseF32ArrayAttr &params) {
  if (failed(parseEnumKeyword(parser, kind)))
    return failure();
  if (failed(parser.parseOptionalLParen()))
    return success();
  SmallVector<float> values;
  auto parseOne = [&]() -> ParseResult {
    SMLoc loc = parser.getCurrentLocation();
    // As f32, the layer's type: a hex literal is then an f32's bits, as
    // printActivation writes a value its decimal form would not give back.
    llvm::APFloat v(llvm::APFloat::IEEEsingle());
    if (failed(parser.parseFloat(llvm::APFloat::IEEEsingle(), v)))
      return failure();
    if (!v.isFinite())
      return parser.emitError(loc)
             << "activation parameter is not a finite f32 (beyond its range, "
                "or an infinity or NaN written as bits)";
    values.push_back(v.convertToFloat());
    return success();
  };
  if (failed(parser.parseCommaSeparatedList(parseOne)) ||
      failed(parser.parseRParen()))
    return failure();
  params = DenseF32ArrayAttr::get(parser.getContext(), values);
  return success();
}

static void printActivation(OpAsmPrinter &printer, Operation *op,
                            ActivationKindAttr kind, DenseF32ArrayAttr params) {
  printEnumKeyword(printer, op, kind);
  if (!params)
    return;
  printer << '(';
  llvm::interleaveComma(params.asArrayRef(), printer,
                        [&](float v) { printer.printFloat(llvm::APFloat(v)); });
  printer << ')';
}

/// The parameters of `activation` as an op stores them: none for a kind
/// without parameters, all of them otherwise.
DenseF32ArrayAttr
mlir::tp::getActivationParamsAttr(OpBuilder &builder,
                                  const Activation &activation) {
  unsigned n = getNumActivationParams(activation.kind);
  if (!n)
    return nullptr;
  return builder.getDenseF32ArrayAttr(
      ArrayRef(activation.params).take_front(n));
}

/// The parameters of an op's activation, checked where the op is verified.
static LogicalResult verifyOpActivation(Operation *op, ActivationKind kind,
                                        DenseF32ArrayAttr params) {
  return verifyActivationParams([&] { return op->emitOpError(); }, kind,
                                params);
}

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

/// The result type of a tp.linear of `input` and `weight`.
static RankedTensorType linearResultType(Value input, Value weight) {
  auto inputType = cast<RankedTensorType>(input.getType());
  auto weightType = cast<RankedTensorType>(weight.getType());
  return RankedTensorType::get(
      {inputType.getDimSize(0), weightType.getDimSize(0)},
      inputType.getElementType());
}

void LinearOp::build(OpBuilder &builder, OperationState &state, Value input,
                     Value weight, Value bias, Activation activation) {
  build(builder, state, linearResultType(input, weight), input, weight, bias,
        ActivationKindAttr::get(builder.getContext(), activation.kind),
        mlir::tp::getActivationParamsAttr(builder, activation),
        /*sharding=*/nullptr);
}

void LinearOp::build(OpBuilder &builder, OperationState &state, Value input,
                     Value weight, Value bias, ActivationKind activation) {
  build(builder, state, linearResultType(input, weight), input, weight, bias,
        ActivationKindAttr::get(builder.getContext(), activation),
        /*activation_params=*/nullptr, /*sharding=*/nullptr);
}

/// The rank and element-type checks shared by tp.linear and
/// tp.local_linear.
static LogicalResult verifyLinearOperands(Operation *op,
                                          RankedTensorType inputType,
                                          RankedTensorType weightType,
                                          RankedTensorType biasType,
                                          RankedTensorType resultType) {
  if (failed(verifyRank(op, "input", inputType, 2, "batch x in_features")) ||
      failed(verifyRank(op, "weight", weightType, 2,
                        "out_features x in_features")) ||
      (biasType &&
       failed(verifyRank(op, "bias", biasType, 1, "out_features"))) ||
      failed(verifyRank(op, "result", resultType, 2, "batch x out_features")))
    return failure();
  if (failed(verifyTensorPolicy(op, "input", inputType)) ||
      failed(verifyTensorPolicy(op, "weight", weightType)) ||
      (biasType && failed(verifyTensorPolicy(op, "bias", biasType))) ||
      failed(verifyTensorPolicy(op, "result", resultType)))
    return failure();
  return success();
}

LogicalResult LinearOp::verify() {
  Operation *op = getOperation();
  auto inputType = getInput().getType();
  auto weightType = getWeight().getType();
  auto resultType = getResult().getType();
  auto biasType =
      getBias() ? cast<RankedTensorType>(getBias().getType()) : nullptr;
  if (failed(verifyLinearOperands(op, inputType, weightType, biasType,
                                  resultType)) ||
      failed(
          verifyOpActivation(op, getActivation(), getActivationParamsAttr())))
    return failure();

  if (failed(verifyStaticDim(op, "input", inputType, 1, "in_features")) ||
      failed(verifyStaticDim(op, "weight", weightType, 0, "out_features")) ||
      failed(verifyStaticDim(op, "weight", weightType, 1, "in_features")) ||
      (biasType &&
       failed(verifyStaticDim(op, "bias", biasType, 0, "out_features"))))
    return failure();

  int64_t k = weightType.getDimSize(1);
  int64_t n = weightType.getDimSize(0);
  if (inputType.getDimSize(1) != k)
    return emitOpError() << "expected input in_features (dim 1) to match "
                            "weight in_features ("
                         << k << "), found " << inputType.getDimSize(1);
  if (biasType && biasType.getDimSize(0) != n)
    return emitOpError() << "expected bias of length " << n
                         << " (weight out_features), found "
                         << biasType.getDimSize(0);

  auto expected = RankedTensorType::get({inputType.getDimSize(0), n},
                                        inputType.getElementType());
  if (resultType != expected)
    return emitOpError() << "expected result type " << expected
                         << " (batch of input x weight out_features), found "
                         << resultType;

  // A sharding needs a mesh only when the layer is partitioned: the mesh may
  // come later, from tp-set-mesh or a tool's --devices.
  return success();
}

//===----------------------------------------------------------------------===//
// LocalLinearOp and BiasActivationOp
//===----------------------------------------------------------------------===//

/// Checks that two possibly dynamic extents can be equal at run time.
static LogicalResult verifyCompatible(Operation *op, int64_t a, StringRef aName,
                                      int64_t b, StringRef bName) {
  if (ShapedType::isStatic(a) && ShapedType::isStatic(b) && a != b)
    return op->emitOpError() << "expected " << aName << " to match " << bName
                             << ", found " << a << " and " << b;
  return success();
}

LogicalResult LocalLinearOp::verify() {
  Operation *op = getOperation();
  auto inputType = getInput().getType();
  auto weightType = getWeight().getType();
  auto resultType = getResult().getType();
  auto biasType =
      getBias() ? cast<RankedTensorType>(getBias().getType()) : nullptr;
  if (failed(verifyLinearOperands(op, inputType, weightType, biasType,
                                  resultType)) ||
      failed(
          verifyOpActivation(op, getActivation(), getActivationParamsAttr())))
    return failure();
  if (failed(verifyCompatible(op, inputType.getDimSize(1), "input in_features",
                              weightType.getDimSize(1),
                              "weight in_features")) ||
      (biasType && failed(verifyCompatible(
                       op, biasType.getDimSize(0), "bias length",
                       weightType.getDimSize(0), "weight out_features"))) ||
      failed(verifyCompatible(op, resultType.getDimSize(0), "result batch",
                              inputType.getDimSize(0), "input batch")) ||
      failed(verifyCompatible(op, resultType.getDimSize(1),
                              "result out_features", weightType.getDimSize(0),
                              "weight out_features")))
    return failure();
  return success();
}

LogicalResult BiasActivationOp::verify() {
  Operation *op = getOperation();
  auto inputType = getInput().getType();
  if (failed(verifyRank(op, "input", inputType, 2, "batch x features")) ||
      failed(verifyTensorPolicy(op, "input", inputType)) ||
      failed(
          verifyOpActivation(op, getActivation(), getActivationParamsAttr())))
    return failure();
  if (!getBias())
    return success();
  auto biasType = cast<RankedTensorType>(getBias().getType());
  if (failed(verifyRank(op, "bias", biasType, 1, "features")) ||
      failed(verifyTensorPolicy(op, "bias", biasType)))
    return failure();
  return verifyCompatible(op, biasType.getDimSize(0), "bias length",
                          inputType.getDimSize(1), "input features");
}

//===----------------------------------------------------------------------===//
// ActivationOp
//===----------------------------------------------------------------------===//

/// A sharding describes how a layer's weight is split; an op without a
/// weight has none to split, so a sharding on it is a mistake the user
/// should hear about.
static LogicalResult refuseSharding(Operation *op) {
  if (op->hasAttr("sharding"))
    return op->emitOpError() << "cannot carry a sharding: only tp.linear "
                                "layers are sharded";
  return success();
}

void ActivationOp::build(OpBuilder &builder, OperationState &state,
                         const Activation &activation, Value input) {
  build(builder, state, input.getType(),
        ActivationKindAttr::get(builder.getContext(), activation.kind),
        mlir::tp::getActivationParamsAttr(builder, activation), input);
}

LogicalResult ActivationOp::verify() {
  if (failed(refuseSharding(getOperation())) ||
      failed(verifyOpActivation(getOperation(), getKind(), getParamsAttr())))
    return failure();
  return verifyTensorPolicy(getOperation(), "input", getInput().getType());
}

//===----------------------------------------------------------------------===//
// SoftmaxOp and LogSoftmaxOp
//===----------------------------------------------------------------------===//

static LogicalResult verifyRowSoftmax(Operation *op, Value input) {
  if (failed(refuseSharding(op)))
    return failure();
  auto type = cast<RankedTensorType>(input.getType());
  if (failed(verifyRank(op, "input", type, 2, "batch x features")) ||
      failed(verifyStaticDim(op, "input", type, 1, "features")))
    return failure();
  return verifyTensorPolicy(op, "input", type);
}

LogicalResult SoftmaxOp::verify() {
  return verifyRowSoftmax(getOperation(), getInput());
}

LogicalResult LogSoftmaxOp::verify() {
  return verifyRowSoftmax(getOperation(), getInput());
}

//===----------------------------------------------------------------------===//
// RankOp
//===----------------------------------------------------------------------===//

LogicalResult RankOp::verify() {
  if (!lookupMesh(getOperation()))
    return emitOpError() << "requires an enclosing module with a '"
                         << TPDialect::kMeshAttrName << "' attribute";
  return success();
}

#define GET_OP_CLASSES
#include "tp-mlir/Dialect/TP/IR/TPOps.cpp.inc"
