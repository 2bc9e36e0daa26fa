// RUN: tp-opt %s -split-input-file --tp-partition | FileCheck %s --check-prefix=D2
// RUN: tp-opt %s -split-input-file --tp-set-mesh=devices=3 --tp-partition | FileCheck %s --check-prefix=D3
// RUN: tp-opt %s -split-input-file --tp-set-mesh=devices=4 --tp-partition | FileCheck %s --check-prefix=D4

// Tests a row / column / row chain: row layers compute their rows with bias
// and activation and all-gather; the column layer slices its input, reduces
// its partial sums, and only then adds the bias and applies gelu. The widths
// (6, 12, 5) split evenly or not depending on D.

// D2-LABEL: func @mlp
// D2-SAME: %[[X:.*]]: tensor<?x8xf32>
// D2-SAME: %[[W0:.*]]: tensor<3x8xf32> {tp.name = "fc0.weight", tp.shard = #tp.shard<shape = [6, 8], dim = 0, offsets = [0, 3], sizes = [3, 3]>}
// D2-SAME: %[[B0:.*]]: tensor<3xf32> {tp.name = "fc0.bias", tp.shard = #tp.shard<shape = [6], dim = 0, offsets = [0, 3], sizes = [3, 3]>}
// D2-SAME: %[[W1:.*]]: tensor<12x3xf32> {tp.name = "fc1.weight", tp.shard = #tp.shard<shape = [12, 6], dim = 1, offsets = [0, 3], sizes = [3, 3]>}
// D2-SAME: %[[B1:.*]]: tensor<12xf32> {tp.name = "fc1.bias", tp.shard = #tp.shard<shape = [12]>}
// D2-SAME: %[[W2:.*]]: tensor<?x12xf32> {tp.name = "fc2.weight", tp.shard = #tp.shard<shape = [5, 12], dim = 0, offsets = [0, 3], sizes = [3, 2]>}
// D2-SAME: -> tensor<?x5xf32> attributes {tp.spmd}
// D2-NEXT: %[[L0:.*]] = tp.local_linear %[[X]], %[[W0]], %[[B0]] activation(relu) : tensor<?x8xf32>, tensor<3x8xf32>, tensor<3xf32> -> tensor<?x3xf32>
// D2-NEXT: %[[G0:.*]] = tp.all_gather %[[L0]] along 1 : tensor<?x3xf32> -> tensor<?x6xf32>
// D2-NEXT: %[[S1:.*]] = tp.all_slice %[[G0]] along 1 : tensor<?x6xf32> -> tensor<?x3xf32>
// D2-NEXT: %[[P1:.*]] = tp.local_linear %[[S1]], %[[W1]] : tensor<?x3xf32>, tensor<12x3xf32> -> tensor<?x12xf32>
// D2-NEXT: %[[R1:.*]] = tp.all_reduce sum %[[P1]] : tensor<?x12xf32>
// D2-NEXT: %[[Y1:.*]] = tp.bias_activation %[[R1]], %[[B1]] activation(gelu) : tensor<?x12xf32>, tensor<12xf32>
// D2-NEXT: %[[L2:.*]] = tp.local_linear %[[Y1]], %[[W2]] : tensor<?x12xf32>, tensor<?x12xf32> -> tensor<?x?xf32>
// D2-NEXT: %[[G2:.*]] = tp.all_gather %[[L2]] along 1 : tensor<?x?xf32> -> tensor<?x5xf32>
// D2-NEXT: return %[[G2]] : tensor<?x5xf32>

// D3-LABEL: func @mlp
// D3-SAME: tensor<2x8xf32> {tp.name = "fc0.weight", tp.shard = #tp.shard<shape = [6, 8], dim = 0, offsets = [0, 2, 4], sizes = [2, 2, 2]>}
// D3-SAME: tensor<2xf32> {tp.name = "fc0.bias", tp.shard = #tp.shard<shape = [6], dim = 0, offsets = [0, 2, 4], sizes = [2, 2, 2]>}
// D3-SAME: tensor<12x2xf32> {tp.name = "fc1.weight", tp.shard = #tp.shard<shape = [12, 6], dim = 1, offsets = [0, 2, 4], sizes = [2, 2, 2]>}
// D3-SAME: tensor<12xf32> {tp.name = "fc1.bias", tp.shard = #tp.shard<shape = [12]>}
// D3-SAME: tensor<?x12xf32> {tp.name = "fc2.weight", tp.shard = #tp.shard<shape = [5, 12], dim = 0, offsets = [0, 2, 4], sizes = [2, 2, 1]>}
// D3-NEXT: tp.local_linear {{.*}} activation(relu) : tensor<?x8xf32>, tensor<2x8xf32>, tensor<2xf32> -> tensor<?x2xf32>
// D3-NEXT: tp.all_gather {{.*}} along 1 : tensor<?x2xf32> -> tensor<?x6xf32>
// D3-NEXT: tp.all_slice {{.*}} along 1 : tensor<?x6xf32> -> tensor<?x2xf32>
// D3-NEXT: tp.local_linear {{.*}} : tensor<?x2xf32>, tensor<12x2xf32> -> tensor<?x12xf32>
// D3-NEXT: tp.all_reduce sum {{.*}} : tensor<?x12xf32>
// D3-NEXT: tp.bias_activation {{.*}} activation(gelu) : tensor<?x12xf32>, tensor<12xf32>
// D3-NEXT: tp.local_linear {{.*}} : tensor<?x12xf32>, tensor<?x12xf32> -> tensor<?x?xf32>
// D3-NEXT: tp.all_gather {{.*}} along 1 : tensor<?x?xf32> -> tensor<?x5xf32>

// D4-LABEL: func @mlp
// D4-SAME: tensor<?x8xf32> {tp.name = "fc0.weight", tp.shard = #tp.shard<shape = [6, 8], dim = 0, offsets = [0, 2, 4, 5], sizes = [2, 2, 1, 1]>}
// D4-SAME: tensor<?xf32> {tp.name = "fc0.bias", tp.shard = #tp.shard<shape = [6], dim = 0, offsets = [0, 2, 4, 5], sizes = [2, 2, 1, 1]>}
// D4-SAME: tensor<12x?xf32> {tp.name = "fc1.weight", tp.shard = #tp.shard<shape = [12, 6], dim = 1, offsets = [0, 2, 4, 5], sizes = [2, 2, 1, 1]>}
// D4-SAME: tensor<12xf32> {tp.name = "fc1.bias", tp.shard = #tp.shard<shape = [12]>}
// D4-SAME: tensor<?x12xf32> {tp.name = "fc2.weight", tp.shard = #tp.shard<shape = [5, 12], dim = 0, offsets = [0, 2, 3, 4], sizes = [2, 1, 1, 1]>}
// D4-NEXT: tp.local_linear {{.*}} activation(relu) : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?xf32> -> tensor<?x?xf32>
// D4-NEXT: tp.all_gather {{.*}} along 1 : tensor<?x?xf32> -> tensor<?x6xf32>
// D4-NEXT: tp.all_slice {{.*}} along 1 : tensor<?x6xf32> -> tensor<?x?xf32>
// D4-NEXT: tp.local_linear {{.*}} : tensor<?x?xf32>, tensor<12x?xf32> -> tensor<?x12xf32>
// D4-NEXT: tp.all_reduce sum {{.*}} : tensor<?x12xf32>
// D4-NEXT: tp.bias_activation {{.*}} activation(gelu) : tensor<?x12xf32>, tensor<12xf32>
// D4-NEXT: tp.local_linear {{.*}} : tensor<?x12xf32>, tensor<?x12xf32> -> tensor<?x?xf32>
// D4-NEXT: tp.all_gather {{.*}} along 1 : tensor<?x?xf32> -> tensor<?x5xf32>
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @mlp(%x: tensor<?x8xf32>,
                 %w0: tensor<6x8xf32> {tp.name = "fc0.weight"}, %b0: tensor<6xf32> {tp.name = "fc0.bias"},
                 %w1: tensor<12x6xf32> {tp.name = "fc1.weight"}, %b1: tensor<12xf32> {tp.name = "fc1.bias"},
                 %w2: tensor<5x12xf32> {tp.name = "fc2.weight"}) -> tensor<?x5xf32> {
    %0 = tp.linear %x, %w0, %b0 activation(relu) sharding(row) : tensor<?x8xf32>, tensor<6x8xf32>, tensor<6xf32> -> tensor<?x6xf32>
    %1 = tp.linear %0, %w1, %b1 activation(gelu) sharding(column) : tensor<?x6xf32>, tensor<12x6xf32>, tensor<12xf32> -> tensor<?x12xf32>
    %2 = tp.linear %1, %w2 sharding(row) : tensor<?x12xf32>, tensor<5x12xf32> -> tensor<?x5xf32>
    return %2 : tensor<?x5xf32>
  }
}

// -----

// Tests replicated layers, a standalone activation, a weight that is not an
// argument (sliced at run time) and a width smaller than D (ranks that hold
// no row at all).

// D2-LABEL: func @mixed
// D2-SAME: %[[X:.*]]: tensor<4x3xf32>, %[[W:.*]]: tensor<3x3xf32> {tp.shard = #tp.shard<shape = [3, 3]>}
// D2-SAME: %[[V:.*]]: tensor<?x3xf32> {tp.shard = #tp.shard<shape = [1, 3], dim = 0, offsets = [0, 1], sizes = [1, 0]>}
// D2-NEXT: %[[C:.*]] = arith.constant
// D2-NEXT: %[[R:.*]] = tp.local_linear %[[X]], %[[W]] activation(tanh) : tensor<4x3xf32>, tensor<3x3xf32> -> tensor<4x3xf32>
// D2-NEXT: %[[A:.*]] = tp.activation sigmoid %[[R]] : tensor<4x3xf32>
// D2-NEXT: %[[CS:.*]] = tp.all_slice %[[C]] along 1 : tensor<2x3xf32> -> tensor<2x?xf32>
// D2-NEXT: %[[AS:.*]] = tp.all_slice %[[A]] along 1 : tensor<4x3xf32> -> tensor<4x?xf32>
// D2-NEXT: %[[P:.*]] = tp.local_linear %[[AS]], %[[CS]] : tensor<4x?xf32>, tensor<2x?xf32> -> tensor<4x2xf32>
// D2-NEXT: %[[S:.*]] = tp.all_reduce sum %[[P]] : tensor<4x2xf32>
// D2-NEXT: %[[Y:.*]] = tp.bias_activation %[[S]] : tensor<4x2xf32>
// D2-NEXT: %[[L:.*]] = tp.local_linear %[[X]], %[[V]] : tensor<4x3xf32>, tensor<?x3xf32> -> tensor<4x?xf32>
// D2-NEXT: %[[G:.*]] = tp.all_gather %[[L]] along 1 : tensor<4x?xf32> -> tensor<4x1xf32>
// D2-NEXT: return %[[Y]], %[[G]]

// D4-LABEL: func @mixed
// D4-SAME: tensor<?x3xf32> {tp.shard = #tp.shard<shape = [1, 3], dim = 0, offsets = [0, 1, 1, 1], sizes = [1, 0, 0, 0]>}
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @mixed(%x: tensor<4x3xf32>, %w: tensor<3x3xf32>, %v: tensor<1x3xf32>) -> (tensor<4x2xf32>, tensor<4x1xf32>) {
    %c = arith.constant dense<1.0> : tensor<2x3xf32>
    %0 = tp.linear %x, %w activation(tanh) sharding(replicated) : tensor<4x3xf32>, tensor<3x3xf32> -> tensor<4x3xf32>
    %1 = tp.activation sigmoid %0 : tensor<4x3xf32>
    %2 = tp.linear %1, %c sharding(column) : tensor<4x3xf32>, tensor<2x3xf32> -> tensor<4x2xf32>
    %3 = tp.linear %x, %v sharding(row) : tensor<4x3xf32>, tensor<1x3xf32> -> tensor<4x1xf32>
    return %2, %3 : tensor<4x2xf32>, tensor<4x1xf32>
  }
}
