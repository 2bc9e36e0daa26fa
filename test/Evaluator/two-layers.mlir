// RUN: tp-run %s --print-output | FileCheck %s

// Tests the evaluator on a two-layer chain whose values are worked out by
// hand:
//   x W0^T + b0 = [[-1, 4, -1], [3.5, -2, 1.5]] + [0, 1, -1]
//               = [[-1, 5, -2], [3.5, -1, 0.5]];   relu -> [[0, 5, 0], [3.5, 0, 0.5]]
//   h W1^T      = [[0, 5], [3.5, 0.5]];            sigmoid -> below
//   (sigmoid(0) = 0.5, sigmoid(5) = 0.993307, sigmoid(3.5) = 0.970688,
//    sigmoid(0.5) = 0.622459, from 1 / (1 + exp(-x)))
// CHECK: output #0 2x2:
// CHECK-NEXT: 0.5 0.993307
// CHECK-NEXT: 0.970688 0.622459
func.func @two_layers() -> tensor<2x2xf32> {
  %x = arith.constant dense<[[1.0, -2.0], [0.5, 3.0]]> : tensor<2x2xf32>
  %w0 = arith.constant dense<[[1.0, 1.0], [2.0, -1.0], [0.0, 0.5]]> : tensor<3x2xf32>
  %b0 = arith.constant dense<[0.0, 1.0, -1.0]> : tensor<3xf32>
  %w1 = arith.constant dense<[[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]]> : tensor<2x3xf32>
  %h = tp.linear %x, %w0, %b0 activation(relu)
      : tensor<2x2xf32>, tensor<3x2xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %l = tp.linear %h, %w1 : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x2xf32>
  %y = tp.activation sigmoid %l : tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}
