// A chain beside a function tp-mlir cannot compile (f64, math.sin): with
// --entry f only @f is partitioned and compiled.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @f(%x: tensor<4x8xf32>, %w: tensor<6x8xf32>) -> tensor<4x6xf32> {
    %y = tp.linear %x, %w : tensor<4x8xf32>, tensor<6x8xf32> -> tensor<4x6xf32>
    return %y : tensor<4x6xf32>
  }
  func.func @g(%x: tensor<4x8xf64>) -> tensor<4x8xf64> {
    %y = math.sin %x : tensor<4x8xf64>
    return %y : tensor<4x8xf64>
  }
}
