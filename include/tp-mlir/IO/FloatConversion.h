//===- FloatConversion.h - other float formats read as f32 ------*- C++ -*-===//
//
// The loaders (safetensors weights, .npy inputs) read F16, BF16 and F64 data
// converted to the f32 that tp-mlir computes in: the halves exactly, F64
// rounded to nearest. A finite F64 value that would round to an infinity
// is looked for first, and the file refused.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_IO_FLOATCONVERSION_H
#define TP_MLIR_IO_FLOATCONVERSION_H

#include "llvm/ADT/bit.h"
#include "llvm/Support/Endian.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

namespace mlir::tp {

/// A little-endian float format that the loaders convert to f32.
enum class SourceFloat { F16, BF16, F32, F64 };

inline size_t getSourceFloatBytes(SourceFloat kind) {
  switch (kind) {
  case SourceFloat::F16:
  case SourceFloat::BF16:
    return 2;
  case SourceFloat::F32:
    return 4;
  case SourceFloat::F64:
    return 8;
  }
  return 0;
}

/// IEEE binary16 to float, exactly (every half is a float).
inline float halfToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0) { // zero or subnormal: mantissa * 2^-24
    float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  uint32_t bits = exponent == 0x1f
                      ? sign | 0x7f800000u | (mantissa << 13) // inf, NaN
                      : sign | ((exponent + 112) << 23) | (mantissa << 13);
  return llvm::bit_cast<float>(bits);
}

/// Converts `n` little-endian elements of `kind` at `src` to f32 in `out`.
inline void convertToF32(SourceFloat kind, const char *src, float *out,
                         size_t n) {
  using namespace llvm::support::endian;
  switch (kind) {
  case SourceFloat::F16:
    for (size_t i = 0; i < n; ++i)
      out[i] = halfToFloat(read16le(src + 2 * i));
    return;
  case SourceFloat::BF16:
    for (size_t i = 0; i < n; ++i)
      out[i] = llvm::bit_cast<float>(
          static_cast<uint32_t>(read16le(src + 2 * i)) << 16);
    return;
  case SourceFloat::F32:
    for (size_t i = 0; i < n; ++i)
      out[i] = llvm::bit_cast<float>(read32le(src + 4 * i));
    return;
  case SourceFloat::F64:
    for (size_t i = 0; i < n; ++i)
      out[i] =
          static_cast<float>(llvm::bit_cast<double>(read64le(src + 8 * i)));
    return;
  }
}

/// The first of `n` little-endian F64 elements at `src` that is finite but
/// rounds to an infinity in f32, if any: at least the midpoint between
/// f32's largest and 2^128 (a tie rounds to even, away from the largest).
/// A value between the largest and that midpoint rounds to the largest, as
/// NumPy's astype and PyTorch's float() round it.
inline std::optional<double> findBeyondF32(const char *src, size_t n) {
  constexpr double kRoundsToInfinity = 0x1.ffffffp127;
  for (size_t i = 0; i < n; ++i) {
    double v =
        llvm::bit_cast<double>(llvm::support::endian::read64le(src + 8 * i));
    if (std::isfinite(v) && std::fabs(v) >= kRoundsToInfinity)
      return v;
  }
  return std::nullopt;
}

/// `v` with the fewest significant digits that read back as `v` ("1e+300",
/// not "1.0000000000000001e+300").
inline std::string formatShortest(double v) {
  char text[32];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, v);
    if (std::strtod(text, nullptr) == v)
      break;
  }
  return text;
}

} // namespace mlir::tp

#endif // TP_MLIR_IO_FLOATCONVERSION_H
