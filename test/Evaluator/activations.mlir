// RUN: tp-run %s --entry gelu --print-output | FileCheck %s --check-prefix=GELU
// RUN: tp-run %s --entry fused_silu --print-output | FileCheck %s --check-prefix=SILU
// RUN: tp-run %s --entry splat --print-output | FileCheck %s --check-prefix=SPLAT

// Tests exact GELU against 0.5 x (1 + erf(x / sqrt 2)) from Python's math.
// GELU: output #0 1x4:
// GELU-NEXT: 0.841345 -0.158655 2.48448 -0.0455003
func.func @gelu() -> tensor<1x4xf32> {
  %x = arith.constant dense<[[1.0, -1.0, 2.5, -2.0]]> : tensor<1x4xf32>
  %y = tp.activation gelu %x : tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// Tests a fused activation after the bias: silu(x W^T + b) with
// x W^T + b = [3 - 2, 0 + 1 - 3] = [1, -2]; silu(1) = 0.731059,
// silu(-2) = -0.238406.
// SILU: output #0 1x2:
// SILU-NEXT: 0.731059 -0.238406
func.func @fused_silu() -> tensor<1x2xf32> {
  %x = arith.constant dense<[[1.0, 2.0, 3.0]]> : tensor<1x3xf32>
  %w = arith.constant dense<[[1.0, 1.0, 0.0], [0.0, 0.5, -1.0]]> : tensor<2x3xf32>
  %b = arith.constant dense<[-2.0, 0.0]> : tensor<2xf32>
  %y = tp.linear %x, %w, %b activation(silu)
      : tensor<1x3xf32>, tensor<2x3xf32>, tensor<2xf32> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// Tests splat constants and a K of 4: each output is 4 * (0.5 * 0.25) + 1.
// SPLAT: output #0 2x3:
// SPLAT-NEXT: 1.5 1.5 1.5
// SPLAT-NEXT: 1.5 1.5 1.5
func.func @splat() -> tensor<2x3xf32> {
  %x = arith.constant dense<0.5> : tensor<2x4xf32>
  %w = arith.constant dense<0.25> : tensor<3x4xf32>
  %b = arith.constant dense<1.0> : tensor<3xf32>
  %y = tp.linear %x, %w, %b : tensor<2x4xf32>, tensor<3x4xf32>, tensor<3xf32> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
