//===- TPPackedWeights.cpp - weights the caller passes packed -------------===//

#include "tp-mlir/Dialect/TP/IR/TPPackedWeights.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/MathExtras.h"

#include <limits>

using namespace mlir;
using namespace mlir::tp;

/// Whether `d` may be a size of the former weight: 0 or more, or dynamic.
static bool isSize(int64_t d) { return d >= 0 || ShapedType::isDynamic(d); }

std::array<int64_t, 4> PackedWeight::packedShape() const {
  int64_t n = outFeatures();
  int64_t panels = ShapedType::isDynamic(n) ? n : n / rows + (n % rows != 0);
  return {panels, inFeatures(), rows, 1};
}

PackedWeight PackedWeight::of(ArrayRef<int64_t> weightShape) const {
  PackedWeight concrete = *this;
  concrete.shape = {weightShape[0], weightShape[1]};
  return concrete;
}

void PackedWeight::pack(const float *src, float *dst) const {
  int64_t n = outFeatures(), k = inFeatures();
  int64_t panels = packedShape()[0];
  for (int64_t p = 0; p < panels; ++p) {
    float *panel = dst + p * k * rows;
    for (int64_t r = 0; r < rows; ++r) {
      int64_t row = p * rows + r;
      if (row >= n) {
        for (int64_t i = 0; i < k; ++i)
          panel[i * rows + r] = 0.0f;
      } else if (kMajor) {
        for (int64_t i = 0; i < k; ++i)
          panel[i * rows + r] = src[i * n + row];
      } else {
        const float *w = src + row * k;
        for (int64_t i = 0; i < k; ++i)
          panel[i * rows + r] = w[i];
      }
    }
  }
}

Attribute mlir::tp::buildPackedWeightsAttr(MLIRContext *context,
                                           ArrayRef<PackedWeight> weights) {
  Builder b(context);
  SmallVector<Attribute> entries;
  for (const PackedWeight &w : weights)
    entries.push_back(b.getDictionaryAttr({
        b.getNamedAttr("argument", b.getI64IntegerAttr(w.argument)),
        b.getNamedAttr("k_major", b.getBoolAttr(w.kMajor)),
        b.getNamedAttr("rows", b.getI64IntegerAttr(w.rows)),
        b.getNamedAttr("shape", b.getDenseI64ArrayAttr(w.shape)),
    }));
  return b.getArrayAttr(entries);
}

FailureOr<SmallVector<PackedWeight>>
mlir::tp::parsePackedWeights(Operation *op, Attribute value, bool emit) {
  auto fail =
      [&](const Twine &message) -> FailureOr<SmallVector<PackedWeight>> {
    if (emit)
      op->emitError() << "'" << kPackedWeightsAttrName << "' " << message;
    return failure();
  };
  auto fn = dyn_cast<FunctionOpInterface>(op);
  if (!fn)
    return fail("may only be attached to a function");
  auto entries = dyn_cast<ArrayAttr>(value);
  if (!entries)
    return fail("must be an array of dictionaries {argument, rows, k_major, "
                "shape}");
  // Lowered to the LLVM dialect, a function takes each memref as several
  // scalars, or all arguments in one array (tp-outline-segments' body), and
  // has no tensor or memref argument left: only the entries themselves can
  // be checked there.
  auto isBuffer = llvm::IsaPred<TensorType, BaseMemRefType>;
  bool typed = llvm::any_of(fn.getArgumentTypes(), isBuffer);
  SmallVector<PackedWeight> weights;
  llvm::DenseSet<unsigned> seen;
  for (auto [i, entry] : llvm::enumerate(entries)) {
    auto dict = dyn_cast<DictionaryAttr>(entry);
    auto argument = dict ? dict.getAs<IntegerAttr>("argument") : nullptr;
    auto rows = dict ? dict.getAs<IntegerAttr>("rows") : nullptr;
    auto kMajor = dict ? dict.getAs<BoolAttr>("k_major") : nullptr;
    auto shape = dict ? dict.getAs<DenseI64ArrayAttr>("shape") : nullptr;
    std::string at = "entry " + std::to_string(i);
    auto isI64 = [](IntegerAttr a) { return a && a.getType().isInteger(64); };
    if (!isI64(argument) || !isI64(rows) || !kMajor || !shape ||
        dict.size() != 4)
      return fail(at + " must be a dictionary of exactly an i64 "
                       "'argument', an i64 'rows', a bool 'k_major' and "
                       "an array<i64> 'shape'");
    PackedWeight w;
    int64_t index = argument.getInt();
    if (index < 0 || index > std::numeric_limits<int32_t>::max() ||
        (typed && index >= static_cast<int64_t>(fn.getNumArguments())))
      return fail(at + ": the function has no argument #" +
                  std::to_string(index));
    w.argument = static_cast<unsigned>(index);
    if (!seen.insert(w.argument).second)
      return fail(at + ": argument #" + std::to_string(index) +
                  " is listed twice");
    w.rows = rows.getInt();
    w.kMajor = kMajor.getValue();
    if (w.rows <= 0 || w.rows > 64)
      return fail(at + ": rows must be 1 to 64, got " + std::to_string(w.rows));
    if (shape.size() != 2 || !isSize(shape[0]) || !isSize(shape[1]))
      return fail(at + ": shape must be two sizes, 0 or more, or dynamic");
    w.shape = {shape[0], shape[1]};
    std::array<int64_t, 4> packed = w.packedShape();
    int64_t elements = 1;
    for (int64_t d : packed)
      if (!ShapedType::isDynamic(d) && llvm::MulOverflow(elements, d, elements))
        return fail(at + ": the packed weight has more than 2^63 elements");
    if (!typed) {
      weights.push_back(w);
      continue;
    }
    Type argType = fn.getArgumentTypes()[w.argument];
    auto type = dyn_cast<ShapedType>(argType);
    auto expected =
        RankedTensorType::get(packed, Float32Type::get(op->getContext()));
    if (!isBuffer(argType) || !type.hasRank() ||
        !type.getElementType().isF32() ||
        type.getShape() != expected.getShape()) {
      std::string message;
      llvm::raw_string_ostream os(message);
      os << at << ": argument #" << index << " must be '" << expected
         << "' (its weight packed), found '" << argType << "'";
      return fail(message);
    }
    weights.push_back(w);
  }
  return weights;
}

std::optional<std::array<int64_t, 2>>
mlir::tp::getPackedWeightShape(Operation *op, unsigned argument) {
  auto entries = op->getAttrOfType<ArrayAttr>(kPackedWeightsAttrName);
  if (!entries)
    return std::nullopt;
  for (Attribute entry : entries) {
    auto dict = dyn_cast<DictionaryAttr>(entry);
    auto index = dict ? dict.getAs<IntegerAttr>("argument") : nullptr;
    auto shape = dict ? dict.getAs<DenseI64ArrayAttr>("shape") : nullptr;
    if (index && index.getType().isInteger(64) &&
        index.getInt() == int64_t(argument) && shape && shape.size() == 2 &&
        isSize(shape[0]) && isSize(shape[1]))
      return std::array<int64_t, 2>{shape[0], shape[1]};
  }
  return std::nullopt;
}

SmallVector<PackedWeight> mlir::tp::getPackedWeights(Operation *op) {
  Attribute value = op->getAttr(kPackedWeightsAttrName);
  if (!value)
    return {};
  FailureOr<SmallVector<PackedWeight>> weights =
      parsePackedWeights(op, value, /*emit=*/false);
  return succeeded(weights) ? *weights : SmallVector<PackedWeight>();
}
