// RUN: tp-opt %s --tp-partition | FileCheck %s --check-prefix=PART
// RUN: tp-opt %s --tp-partition --tp-optimize-collectives | FileCheck %s --check-prefix=OPT
// RUN: tp-opt %s --tp-set-mesh=devices=1 --tp-partition --tp-optimize-collectives | FileCheck %s --check-prefix=ONE

// Tests the batch split over 3 devices: a batch layer slices the rows of x,
// runs the whole layer on them, and gathers the rows, told the full batch.
// After optimization, the moves between layouts are the cheap ones:
// batch -> batch needs nothing, batch -> column and row -> batch are
// all_to_all, column -> batch is a reduce_scatter along the batch, and the
// batch the gathers need is the input's, so no gather stays for its size.
module attributes {tp.mesh = #tp.mesh<shape = [3]>} {
  func.func @chain(%x: tensor<?x8xf32>,
                   %w0: tensor<6x8xf32> {tp.name = "w0"}, %b0: tensor<6xf32> {tp.name = "b0"},
                   %w1: tensor<9x6xf32> {tp.name = "w1"},
                   %w2: tensor<5x9xf32> {tp.name = "w2"}, %b2: tensor<5xf32> {tp.name = "b2"},
                   %w3: tensor<4x5xf32> {tp.name = "w3"},
                   %w4: tensor<7x4xf32> {tp.name = "w4"},
                   %w5: tensor<2x7xf32> {tp.name = "w5"}) -> tensor<?x2xf32> {
    %0 = tp.linear %x, %w0, %b0 activation(relu) sharding(batch) : tensor<?x8xf32>, tensor<6x8xf32>, tensor<6xf32> -> tensor<?x6xf32>
    %1 = tp.linear %0, %w1 sharding(batch) : tensor<?x6xf32>, tensor<9x6xf32> -> tensor<?x9xf32>
    %2 = tp.linear %1, %w2, %b2 activation(gelu) sharding(column) : tensor<?x9xf32>, tensor<5x9xf32>, tensor<5xf32> -> tensor<?x5xf32>
    %3 = tp.linear %2, %w3 sharding(batch) : tensor<?x5xf32>, tensor<4x5xf32> -> tensor<?x4xf32>
    %4 = tp.linear %3, %w4 sharding(row) : tensor<?x4xf32>, tensor<7x4xf32> -> tensor<?x7xf32>
    %5 = tp.linear %4, %w5 sharding(batch) : tensor<?x7xf32>, tensor<2x7xf32> -> tensor<?x2xf32>
    return %5 : tensor<?x2xf32>
  }
}

// PART-LABEL: func @chain
// PART-SAME: %[[X:[^:]*]]: tensor<?x8xf32>
// PART-SAME: %[[W0:[^:]*]]: tensor<6x8xf32> {tp.name = "w0", tp.shard = #tp.shard<shape = [6, 8]>}
// PART: %[[S:.*]] = tp.all_slice %[[X]] along 0 : tensor<?x8xf32> -> tensor<?x8xf32>
// PART: %[[L:.*]] = tp.local_linear %[[S]], %[[W0]], %{{.*}} activation(relu) : tensor<?x8xf32>, tensor<6x8xf32>, tensor<6xf32> -> tensor<?x6xf32>
// PART: %[[C0:.*]] = arith.constant 0 : index
// PART: %[[B:.*]] = tensor.dim %[[X]], %[[C0]] : tensor<?x8xf32>
// PART: tp.all_gather %[[L]] along 0 size %[[B]] : tensor<?x6xf32> -> tensor<?x6xf32>

// OPT-LABEL: func @chain
// OPT-SAME: %[[X:[^:]*]]: tensor<?x8xf32>
// OPT: %[[S:.*]] = tp.all_slice %[[X]] along 0
// OPT: %[[L0:.*]] = tp.local_linear %[[S]]
// OPT: %[[B:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x8xf32>
// OPT: %[[L1:.*]] = tp.local_linear %[[L0]], {{.*}} -> tensor<?x9xf32>
// OPT: %[[A:.*]] = tp.all_to_all %[[L1]] split 1 concat 0 size %[[B]] : tensor<?x9xf32> -> tensor<?x3xf32>
// OPT: %[[P:.*]] = tp.local_linear %[[A]], {{.*}} : tensor<?x3xf32>, tensor<5x3xf32> -> tensor<?x5xf32>
// OPT: %[[R:.*]] = tp.reduce_scatter sum %[[P]] along 0 : tensor<?x5xf32> -> tensor<?x5xf32>
// OPT: %[[BA:.*]] = tp.bias_activation %[[R]], %{{.*}} activation(gelu) : tensor<?x5xf32>, tensor<5xf32>
// OPT: %[[L3:.*]] = tp.local_linear %[[BA]], {{.*}} -> tensor<?x4xf32>
// OPT: %[[G:.*]] = tp.all_gather %[[L3]] along 0 size %[[B]] : tensor<?x4xf32> -> tensor<?x4xf32>
// OPT: %[[L4:.*]] = tp.local_linear %[[G]], {{.*}} -> tensor<?x?xf32>
// OPT: %[[A2:.*]] = tp.all_to_all %[[L4]] split 0 concat 1 : tensor<?x?xf32> -> tensor<?x7xf32>
// OPT: %[[L5:.*]] = tp.local_linear %[[A2]], {{.*}} -> tensor<?x2xf32>
// OPT: %[[OUT:.*]] = tp.all_gather %[[L5]] along 0 size %[[B]] : tensor<?x2xf32> -> tensor<?x2xf32>
// OPT: return %[[OUT]]
// OPT-NOT: tp.all_

// ONE-LABEL: func @chain
// ONE-NOT: tp.all_
// ONE-NOT: tp.reduce_scatter
// ONE: return
