//===- Check.cpp - judging outputs against the reference ------------------===//

#include "tp-mlir/Driver/Driver.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::tp;

CheckResult mlir::tp::checkOutputs(ArrayRef<Tensor> outputs,
                                   ArrayRef<Tensor> expected,
                                   ArrayRef<Tensor> bounds,
                                   std::optional<double> tolerance,
                                   int64_t rank) {
  CheckResult worst;
  worst.rank = rank;
  worst.tolerance = tolerance;
  worst.ratio = -1;
  // The worst element; among equals, a finite one rather than a NaN or an
  // infinity the reference shares, whose error and bound say nothing.
  bool worstFinite = false;
  auto consider = [&](double ratio, int64_t output, int64_t element,
                      float found, float want, double allowed) {
    bool finite = std::isfinite(found) && std::isfinite(want);
    if (!(ratio <= worst.ratio) || worst.ratio < 0 ||
        (ratio == worst.ratio && finite && !worstFinite)) {
      worstFinite = finite;
      worst.ratio = ratio;
      worst.output = output;
      worst.element = element;
      worst.found = found;
      worst.expected = want;
      worst.allowed = allowed;
    }
  };
  const double infinity = std::numeric_limits<double>::infinity();
  if (outputs.size() != expected.size()) {
    consider(infinity, 0, -1, 0, 0, 0);
    return worst;
  }
  for (auto [k, pair] : llvm::enumerate(llvm::zip(outputs, expected))) {
    auto [out, ref] = pair;
    if (out.shape != ref.shape) {
      consider(infinity, k, -1, 0, 0, 0);
      continue;
    }
    double scale = 0;
    if (tolerance)
      for (float v : ref.data)
        if (std::isfinite(v))
          scale = std::max(scale, double(std::fabs(v)));
    for (size_t i = 0; i < out.data.size(); ++i) {
      float a = out.data[i], b = ref.data[i];
      double allowed =
          tolerance ? *tolerance * std::max<double>(std::fabs(b), 0.1 * scale)
                    : double(bounds[k].data[i]);
      if (!std::isfinite(a) || !std::isfinite(b)) {
        // A NaN or infinity agrees only with the same one.
        bool same = (std::isnan(a) && std::isnan(b)) || a == b;
        consider(same ? 0.0 : infinity, k, i, a, b, allowed);
        continue;
      }
      // A bound that an infinity or a NaN upstream made infinite or NaN
      // allows only the reference's own value.
      double diff = std::fabs(double(a) - double(b));
      double ratio = diff == 0                               ? 0.0
                     : allowed > 0 && std::isfinite(allowed) ? diff / allowed
                                                             : infinity;
      consider(ratio, k, i, a, b, allowed);
    }
  }
  if (worst.ratio < 0)
    worst.ratio = 0; // nothing to compare: empty outputs
  return worst;
}
