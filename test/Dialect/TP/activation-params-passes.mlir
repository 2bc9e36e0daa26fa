// RUN: tp-opt %s -split-input-file -tp-fuse-activations --tp-partition | FileCheck %s
// RUN: tp-opt %s -split-input-file -tp-fuse-activations --tp-partition --tp-optimize-collectives | FileCheck %s --check-prefix=OPT
// RUN: tp-opt %s -split-input-file -tp-fuse-activations --tp-partition --tp-overlap-collectives=chunks=2 | FileCheck %s --check-prefix=OVERLAP

// Tests that an activation's parameters travel with it: fused into the
// layer before it, onto each device's layer for a row split, and onto the
// epilogue after the all_reduce of a column split, in one piece or in
// chunks; a separate activation keeps its own when its slice moves above
// it.
// CHECK-LABEL: func @chain
// CHECK: tp.local_linear %{{.*}}, %{{.*}}, %{{.*}} activation(leaky_relu(2.000000e-01))
// CHECK: tp.all_reduce
// CHECK: tp.bias_activation %{{.*}}, %{{.*}} activation(hardtanh(0.000000e+00, 6.000000e+00))
// CHECK: tp.activation softplus(2.000000e+00, 5.000000e+00)
// OPT-LABEL: func @chain
// OPT: tp.local_linear %{{.*}}, %{{.*}}, %{{.*}} activation(leaky_relu(2.000000e-01))
// OPT: tp.bias_activation %{{.*}}, %{{.*}} activation(hardtanh(0.000000e+00, 6.000000e+00))
// OPT: tp.activation softplus(2.000000e+00, 5.000000e+00)
// OVERLAP-LABEL: func @chain
// OVERLAP: tp.all_reduce_start
// OVERLAP: tp.all_reduce_start
// OVERLAP: tp.bias_activation %{{.*}}, %{{.*}} activation(hardtanh(0.000000e+00, 6.000000e+00))
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @chain(%x: tensor<8x16xf32>, %w0: tensor<16x16xf32>,
                   %b0: tensor<16xf32>, %w1: tensor<16x16xf32>,
                   %b1: tensor<16xf32>) -> tensor<8x16xf32> {
    %0 = tp.linear %x, %w0, %b0 sharding(row)
        : tensor<8x16xf32>, tensor<16x16xf32>, tensor<16xf32> -> tensor<8x16xf32>
    %1 = tp.activation leaky_relu(0.2) %0 : tensor<8x16xf32>
    %2 = tp.linear %1, %w1, %b1 activation(hardtanh(0.0, 6.0)) sharding(column)
        : tensor<8x16xf32>, tensor<16x16xf32>, tensor<16xf32> -> tensor<8x16xf32>
    %3 = tp.activation softplus(2.0, 5.0) %2 : tensor<8x16xf32>
    %4 = tp.activation softplus(2.0, 5.0) %3 : tensor<8x16xf32>
    return %4 : tensor<8x16xf32>
  }
}
