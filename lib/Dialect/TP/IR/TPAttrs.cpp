//===- TPAttrs.cpp - tp dialect attributes --------------------------------===//

#include "tp-mlir/Dialect/TP/IR/TPAttrs.h"

#include "tp-mlir/Support/BalancedSplit.h"
#include "tp-mlir/Support/Limits.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Operation.h"
#include "tp-mlir/Dialect/TP/IR/TPDialect.h"
#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>
#include <cmath>
#include <sstream>

using namespace mlir;
using namespace mlir::tp;

#include "tp-mlir/Dialect/TP/IR/TPEnums.cpp.inc"

static ParseResult parseShardShape(AsmParser &parser,
                                   SmallVector<int64_t> &shape);
static void printShardShape(AsmPrinter &printer, ArrayRef<int64_t> shape);

#define GET_ATTRDEF_CLASSES
#include "tp-mlir/Dialect/TP/IR/TPAttrs.cpp.inc"

void TPDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "tp-mlir/Dialect/TP/IR/TPAttrs.cpp.inc"
      >();
}

LogicalResult MeshAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               ArrayRef<int64_t> shape) {
  if (shape.empty())
    return emitError() << "expected a mesh with one axis, found none";
  if (shape.size() != 1)
    return emitError() << "expected a 1-D mesh, found " << shape.size()
                       << " axes (2-D meshes are not supported yet)";
  for (auto [axis, devices] : llvm::enumerate(shape)) {
    if (devices < 1)
      return emitError() << "expected a positive device count on mesh axis "
                         << axis << ", found " << devices;
    if (devices > kMaxDevices)
      return emitError() << "expected at most " << kMaxDevices
                         << " devices on mesh axis " << axis
                         << " (tp-mlir's limit), found " << devices;
  }
  return success();
}

int64_t MeshAttr::getNumDevices() const {
  int64_t n = 1;
  for (int64_t d : getShape())
    n *= d;
  return n;
}

LogicalResult ShardAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                ArrayRef<int64_t> shape,
                                std::optional<int64_t> dim,
                                ArrayRef<int64_t> offsets,
                                ArrayRef<int64_t> sizes) {
  SmallVector<int64_t> fixed;
  for (int64_t extent : shape) {
    if (ShapedType::isDynamic(extent))
      continue;
    if (extent < 1)
      return emitError() << "expected a positive full shape, found extent "
                         << extent;
    fixed.push_back(extent);
  }
  if (!getCheckedNumElements(fixed))
    return emitError() << "expected a full shape of at most "
                       << kMaxTensorElements << " elements (tp-mlir's limit)";
  if (!dim) {
    if (!offsets.empty() || !sizes.empty())
      return emitError() << "expected no offsets or sizes without a dim";
    return success();
  }
  if (*dim < 0 || *dim >= static_cast<int64_t>(shape.size()))
    return emitError() << "expected dim in [0, " << shape.size() << "), found "
                       << *dim;
  if (ShapedType::isDynamic(shape[*dim]))
    return emitError() << "expected a fixed extent along the split dim " << *dim
                       << ", found ?";
  if (offsets.size() != sizes.size() || offsets.empty())
    return emitError() << "expected one offset and one size per rank, found "
                       << offsets.size() << " offsets and " << sizes.size()
                       << " sizes";
  if (static_cast<int64_t>(sizes.size()) > kMaxDevices)
    return emitError() << "expected at most " << kMaxDevices
                       << " slices (tp-mlir's device limit), found "
                       << sizes.size();
  int64_t next = 0;
  for (auto [rank, offset, size] : llvm::enumerate(offsets, sizes)) {
    if (size < 0 || size > shape[*dim])
      return emitError() << "expected a size from 0 to " << shape[*dim]
                         << " for rank " << rank << ", found " << size;
    if (offset != next)
      return emitError() << "expected slices in rank order without gaps: "
                            "offset of rank "
                         << rank << " should be " << next << ", found "
                         << offset;
    next += size;
  }
  if (next != shape[*dim])
    return emitError() << "expected the slices to cover dim " << *dim
                       << " of size " << shape[*dim] << ", they cover " << next;
  // Every collective, loader and runtime check assumes the balanced rule;
  // other slices would verify here and fail only at run time.
  int64_t numRanks = static_cast<int64_t>(sizes.size());
  for (auto [rank, size] : llvm::enumerate(sizes)) {
    if (size == getShardSize(shape[*dim], numRanks, rank))
      continue;
    InFlightDiagnostic diag = emitError();
    diag << "expected the balanced split of dim " << *dim << " (" << shape[*dim]
         << " over " << numRanks << " ranks: sizes [";
    constexpr int64_t kListed = 8;
    for (int64_t r = 0; r < std::min(numRanks, kListed); ++r)
      diag << (r ? ", " : "") << getShardSize(shape[*dim], numRanks, r);
    return diag << (numRanks > kListed ? ", ..." : "") << "]), found size "
                << size << " for rank " << rank;
  }
  return success();
}

/// The full shape of a tp.shard: extents, `?` for a dynamic one.
static ParseResult parseShardShape(AsmParser &parser,
                                   SmallVector<int64_t> &shape) {
  return parser.parseCommaSeparatedList(
      AsmParser::Delimiter::Square, [&]() -> ParseResult {
        if (succeeded(parser.parseOptionalQuestion())) {
          shape.push_back(ShapedType::kDynamic);
          return success();
        }
        SMLoc loc = parser.getCurrentLocation();
        if (parser.parseInteger(shape.emplace_back()))
          return failure();
        // Only `?` is dynamic.
        if (ShapedType::isDynamic(shape.back()))
          return parser.emitError(loc)
                 << "expected a positive full shape, found extent "
                 << shape.back();
        return success();
      });
}

static void printShardShape(AsmPrinter &printer, ArrayRef<int64_t> shape) {
  printer << "[";
  llvm::interleaveComma(shape, printer, [&](int64_t extent) {
    if (ShapedType::isDynamic(extent))
      printer << "?";
    else
      printer << extent;
  });
  printer << "]";
}

SmallVector<int64_t> ShardAttr::getLocalShape(int64_t rank) const {
  SmallVector<int64_t> local(getShape());
  if (std::optional<int64_t> dim = getDim())
    local[*dim] = getSizes()[rank];
  return local;
}

MeshAttr mlir::tp::lookupMesh(Operation *op) {
  for (; op; op = op->getParentOp())
    if (auto mesh = op->getAttrOfType<MeshAttr>(TPDialect::kMeshAttrName))
      return mesh;
  return {};
}

//===----------------------------------------------------------------------===//
// Activation parameters
//===----------------------------------------------------------------------===//

namespace {
/// A parameter of an activation kind: its PyTorch name and default.
struct ActivationParam {
  const char *name;
  float defaultValue;
};

/// The parameters of `kind`, in the order they are written.
ArrayRef<ActivationParam> getActivationParams(ActivationKind kind) {
  static const ActivationParam leakyRelu[] = {{"negative_slope", 0.01f}};
  static const ActivationParam elu[] = {{"alpha", 1.0f}};
  static const ActivationParam softplus[] = {{"beta", 1.0f},
                                             {"threshold", 20.0f}};
  static const ActivationParam hardtanh[] = {{"min_val", -1.0f},
                                             {"max_val", 1.0f}};
  switch (kind) {
  case ActivationKind::leaky_relu:
    return leakyRelu;
  case ActivationKind::elu:
    return elu;
  case ActivationKind::softplus:
    return softplus;
  case ActivationKind::hardtanh:
    return hardtanh;
  default:
    return {};
  }
}
} // namespace

unsigned mlir::tp::getNumActivationParams(ActivationKind kind) {
  return getActivationParams(kind).size();
}

StringRef mlir::tp::getActivationParamName(ActivationKind kind, unsigned i) {
  return getActivationParams(kind)[i].name;
}

Activation Activation::withDefaults(ActivationKind kind) {
  Activation a{kind, {}};
  ArrayRef<ActivationParam> params = getActivationParams(kind);
  for (size_t i = 0; i < params.size(); ++i)
    a.params[i] = params[i].defaultValue;
  return a;
}

Activation Activation::get(ActivationKind kind, DenseF32ArrayAttr params) {
  Activation a = withDefaults(kind);
  if (params)
    for (auto [i, v] : llvm::enumerate(params.asArrayRef()))
      if (i < a.params.size())
        a.params[i] = v;
  return a;
}

LogicalResult
mlir::tp::verifyActivationParams(function_ref<InFlightDiagnostic()> emitError,
                                 ActivationKind kind,
                                 DenseF32ArrayAttr params) {
  if (!params)
    return success();
  ArrayRef<ActivationParam> expected = getActivationParams(kind);
  ArrayRef<float> values = params.asArrayRef();
  if (values.size() != expected.size()) {
    InFlightDiagnostic diag = emitError();
    diag << "activation " << stringifyActivationKind(kind);
    if (expected.empty())
      return diag << " takes no parameters, found " << values.size();
    diag << " takes " << expected.size() << " parameter"
         << (expected.size() == 1 ? "" : "s") << " (";
    llvm::interleaveComma(expected, diag,
                          [&](const ActivationParam &p) { diag << p.name; });
    return diag << "), found " << values.size();
  }
  // As printf's %g writes them: 1, 0.2, nan.
  auto text = [](float v) {
    std::ostringstream os;
    os << v;
    return os.str();
  };
  for (auto [i, v] : llvm::enumerate(values))
    if (!std::isfinite(v))
      return emitError() << "activation " << stringifyActivationKind(kind)
                         << ": " << expected[i].name
                         << " must be finite, found " << text(v);
  if (kind == ActivationKind::hardtanh && !(values[0] < values[1]))
    return emitError() << "activation hardtanh: min_val (" << text(values[0])
                       << ") must be below max_val (" << text(values[1]) << ")";
  if (kind == ActivationKind::softplus && !(values[0] > 0))
    return emitError() << "activation softplus: beta must be positive, found "
                       << text(values[0]);
  return success();
}
