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
  // scalars, or all arguments in one array (tp-outline-segments' body):
  // only the entries themselves can be checked there.
  bool typed = llvm::all_of(fn.getArgumentTypes(), llvm::IsaPred<ShapedType>);
  SmallVector<PackedWeight> weights;
  llvm::DenseSet<unsigned> seen;
  for (auto [i, entry] : llvm::enumerate(entries)) {
    auto dict = dyn_cast<DictionaryAttr>(entry);
    auto argument = dict ? dict.getAs<IntegerAttr>("argument") : nullptr;
    auto rows = dict ? dict.getAs<IntegerAttr>("rows") : nullptr;
    auto kMajor = dict ? dict.getAs<BoolAttr>("k_major") : nullptr;
    auto shape = dict ? dict.getAs<DenseI64ArrayAttr>("shape") : nullptr;
    std::string at = "entry " + std::to_string(i);
    if (!argument || !rows || !kMajor || !shape || dict.size() != 4)
      return fail(at + " must be a dictionary of exactly an integer "
                       "'argument', an integer 'rows', a bool 'k_major' and "
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
    auto size = [](int64_t d) { return d >= 0 || ShapedType::isDynamic(d); };
    if (shape.size() != 2 || !size(shape[0]) || !size(shape[1]))
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
    auto type = cast<ShapedType>(fn.getArgumentTypes()[w.argument]);
    auto expected =
        RankedTensorType::get(packed, Float32Type::get(op->getContext()));
    if (!type.hasRank() || !type.getElementType().isF32() ||
        type.getShape() != expected.getShape()) {
      std::string message;
      llvm::raw_string_ostream os(message);
      os << at << ": argument #" << index << " must be '" << expected
         << "' (its weight packed), found '" << type << "'";
      return fail(message);
    }
    weights.push_back(w);
  }
  return weights;
}

SmallVector<PackedWeight> mlir::tp::getPackedWeights(Operation *op) {
  Attribute value = op->getAttr(kPackedWeightsAttrName);
  if (!value)
    return {};
  FailureOr<SmallVector<PackedWeight>> weights =
      parsePackedWeights(op, value, /*emit=*/false);
  return succeeded(weights) ? *weights : SmallVector<PackedWeight>();
}
