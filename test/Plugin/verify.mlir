// Tests that the plugin brings the tp verifiers into mlir-opt.
// RUN: mlir-opt %s --load-dialect-plugin=%tp_lib_dir/TPMLIRPlugin%shlibext -verify-diagnostics

func.func @k_mismatch(%x: tensor<2x4xf32>, %w: tensor<5x3xf32>) {
  // expected-error@+1 {{expected input in_features (dim 1) to match weight in_features (3), found 4}}
  %0 = tp.linear %x, %w : tensor<2x4xf32>, tensor<5x3xf32> -> tensor<2x5xf32>
  return
}
