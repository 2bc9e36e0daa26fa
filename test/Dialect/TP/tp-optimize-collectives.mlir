// RUN: tp-opt %s -split-input-file --tp-partition | FileCheck %s --check-prefix=BEFORE
// RUN: tp-opt %s -split-input-file --tp-partition --tp-optimize-collectives | FileCheck %s --check-prefix=AFTER
// RUN: tp-opt %s -split-input-file --tp-set-mesh=devices=3 --tp-partition --tp-optimize-collectives | FileCheck %s --check-prefix=D3

// Tests Megatron's pairing on row, column, row, column: before, each layer
// leaves its output replicated (2 all_gather, 2 all_slice, 2 all_reduce);
// after, the gather and slice between each row and column layer cancel,
// leaving one all_reduce per pair.
// BEFORE-LABEL: func @pairs
// BEFORE: tp.all_gather
// BEFORE: tp.all_slice
// BEFORE: tp.all_reduce
// BEFORE: tp.all_gather
// BEFORE: tp.all_slice
// BEFORE: tp.all_reduce
// AFTER-LABEL: func @pairs
// AFTER-NEXT: %[[A:.*]] = tp.local_linear %arg0, %arg1, %arg2 activation(relu) : tensor<4x8xf32>, tensor<3x8xf32>, tensor<3xf32> -> tensor<4x3xf32>
// AFTER-NEXT: %[[B:.*]] = tp.local_linear %[[A]], %arg3 : tensor<4x3xf32>, tensor<8x3xf32> -> tensor<4x8xf32>
// AFTER-NEXT: %[[C:.*]] = tp.all_reduce sum %[[B]] : tensor<4x8xf32>
// AFTER-NEXT: %[[D:.*]] = tp.bias_activation %[[C]], %arg4 activation(gelu) : tensor<4x8xf32>, tensor<8xf32>
// AFTER-NEXT: %[[E:.*]] = tp.local_linear %[[D]], %arg5 activation(tanh) : tensor<4x8xf32>, tensor<3x8xf32> -> tensor<4x3xf32>
// AFTER-NEXT: %[[F:.*]] = tp.local_linear %[[E]], %arg6 : tensor<4x3xf32>, tensor<8x3xf32> -> tensor<4x8xf32>
// AFTER-NEXT: %[[G:.*]] = tp.all_reduce sum %[[F]] : tensor<4x8xf32>
// AFTER-NEXT: %[[H:.*]] = tp.bias_activation %[[G]] : tensor<4x8xf32>
// AFTER-NEXT: return %[[H]]
// AFTER-NOT: tp.all_gather
// AFTER-NOT: tp.all_slice
// D3-LABEL: func @pairs
// D3-NEXT: tp.local_linear {{.*}} -> tensor<4x2xf32>
// D3-NEXT: tp.local_linear {{.*}} : tensor<4x2xf32>, tensor<8x2xf32> -> tensor<4x8xf32>
// D3-NEXT: tp.all_reduce sum
// D3-NEXT: tp.bias_activation
// D3-NEXT: tp.local_linear {{.*}} -> tensor<4x2xf32>
// D3-NEXT: tp.local_linear
// D3-NEXT: tp.all_reduce sum
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @pairs(%x: tensor<4x8xf32>, %w0: tensor<6x8xf32>, %b0: tensor<6xf32>, %w1: tensor<8x6xf32>, %b1: tensor<8xf32>,
                   %w2: tensor<6x8xf32>, %w3: tensor<8x6xf32>) -> tensor<4x8xf32> {
    %0 = tp.linear %x, %w0, %b0 activation(relu) sharding(row) : tensor<4x8xf32>, tensor<6x8xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %1 = tp.linear %0, %w1, %b1 activation(gelu) sharding(column) : tensor<4x6xf32>, tensor<8x6xf32>, tensor<8xf32> -> tensor<4x8xf32>
    %2 = tp.linear %1, %w2 activation(tanh) sharding(row) : tensor<4x8xf32>, tensor<6x8xf32> -> tensor<4x6xf32>
    %3 = tp.linear %2, %w3 sharding(column) : tensor<4x6xf32>, tensor<8x6xf32> -> tensor<4x8xf32>
    return %3 : tensor<4x8xf32>
  }
}

// -----

// Tests column after column: the all_reduce + bias + slice between them
// becomes a reduce_scatter, the bias_activation runs on the slice, and the
// bias argument becomes a split weight in the manifest (uneven at D = 3).
// BEFORE-LABEL: func @columns
// BEFORE-COUNT-2: tp.all_slice
// BEFORE-COUNT-2: tp.all_reduce
// AFTER-LABEL: func @columns
// AFTER-SAME: %arg2: tensor<5xf32> {tp.shard = #tp.shard<shape = [10], dim = 0, offsets = [0, 5], sizes = [5, 5]>}
// AFTER-NEXT: %[[S:.*]] = tp.all_slice %arg0 along 1 : tensor<4x8xf32> -> tensor<4x4xf32>
// AFTER-NEXT: %[[P:.*]] = tp.local_linear %[[S]], %arg1 : tensor<4x4xf32>, tensor<10x4xf32> -> tensor<4x10xf32>
// AFTER-NEXT: %[[RS:.*]] = tp.reduce_scatter sum %[[P]] along 1 : tensor<4x10xf32> -> tensor<4x5xf32>
// AFTER-NEXT: %[[Y:.*]] = tp.bias_activation %[[RS]], %arg2 activation(silu) : tensor<4x5xf32>, tensor<5xf32>
// AFTER-NEXT: %[[P2:.*]] = tp.local_linear %[[Y]], %arg3 : tensor<4x5xf32>, tensor<3x5xf32> -> tensor<4x3xf32>
// AFTER-NEXT: %[[R:.*]] = tp.all_reduce sum %[[P2]] : tensor<4x3xf32>
// AFTER-NEXT: tp.bias_activation %[[R]] : tensor<4x3xf32>
// D3-LABEL: func @columns
// D3-SAME: %arg2: tensor<?xf32> {tp.shard = #tp.shard<shape = [10], dim = 0, offsets = [0, 4, 7], sizes = [4, 3, 3]>}
// D3: tp.reduce_scatter sum {{.*}} along 1 : tensor<4x10xf32> -> tensor<4x?xf32>
// D3: tp.bias_activation {{.*}} : tensor<4x?xf32>, tensor<?xf32>
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @columns(%x: tensor<4x8xf32>, %w0: tensor<10x8xf32>, %b0: tensor<10xf32>, %w1: tensor<3x10xf32>) -> tensor<4x3xf32> {
    %0 = tp.linear %x, %w0, %b0 activation(silu) sharding(column) : tensor<4x8xf32>, tensor<10x8xf32>, tensor<10xf32> -> tensor<4x10xf32>
    %1 = tp.linear %0, %w1 sharding(column) : tensor<4x10xf32>, tensor<3x10xf32> -> tensor<4x3xf32>
    return %1 : tensor<4x3xf32>
  }
}

// -----

// Tests that the pairing also works through a standalone activation, which
// then runs on the shards, and that an activation after a final gather
// moves before it.
// AFTER-LABEL: func @through_activation
// AFTER-NEXT: %[[A:.*]] = tp.local_linear %arg0, %arg1 : tensor<4x8xf32>, tensor<3x8xf32> -> tensor<4x3xf32>
// AFTER-NEXT: %[[B:.*]] = tp.activation relu %[[A]] : tensor<4x3xf32>
// AFTER-NEXT: %[[C:.*]] = tp.local_linear %[[B]], %arg2 : tensor<4x3xf32>, tensor<8x3xf32> -> tensor<4x8xf32>
// AFTER-NEXT: %[[D:.*]] = tp.all_reduce sum %[[C]]
// AFTER-NEXT: %[[E:.*]] = tp.bias_activation %[[D]]
// AFTER-NEXT: %[[F:.*]] = tp.local_linear %[[E]], %arg1 : tensor<4x8xf32>, tensor<3x8xf32> -> tensor<4x3xf32>
// AFTER-NEXT: %[[G:.*]] = tp.activation sigmoid %[[F]] : tensor<4x3xf32>
// AFTER-NEXT: %[[H:.*]] = tp.all_gather %[[G]] along 1 : tensor<4x3xf32> -> tensor<4x6xf32>
// AFTER-NEXT: return %[[H]]
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @through_activation(%x: tensor<4x8xf32>, %w0: tensor<6x8xf32>, %w1: tensor<8x6xf32>) -> tensor<4x6xf32> {
    %0 = tp.linear %x, %w0 sharding(row) : tensor<4x8xf32>, tensor<6x8xf32> -> tensor<4x6xf32>
    %1 = tp.activation relu %0 : tensor<4x6xf32>
    %2 = tp.linear %1, %w1 sharding(column) : tensor<4x6xf32>, tensor<8x6xf32> -> tensor<4x8xf32>
    %3 = tp.linear %2, %w0 sharding(row) : tensor<4x8xf32>, tensor<6x8xf32> -> tensor<4x6xf32>
    %4 = tp.activation sigmoid %3 : tensor<4x6xf32>
    return %4 : tensor<4x6xf32>
  }
}

// -----

// Tests that a gather whose result is also returned stays for that use,
// while the column layer reads the shard directly.
// AFTER-LABEL: func @gather_kept
// AFTER: %[[L:.*]] = tp.local_linear %arg0, %arg1
// AFTER-NEXT: %[[G:.*]] = tp.all_gather %[[L]]
// AFTER-NEXT: tp.local_linear %[[L]], %arg2
// AFTER-NOT: tp.all_gather
// AFTER: return %[[G]]
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @gather_kept(%x: tensor<4x8xf32>, %w0: tensor<6x8xf32>, %w1: tensor<8x6xf32>) -> (tensor<4x6xf32>, tensor<4x8xf32>) {
    %0 = tp.linear %x, %w0 sharding(row) : tensor<4x8xf32>, tensor<6x8xf32> -> tensor<4x6xf32>
    %1 = tp.linear %0, %w1 sharding(column) : tensor<4x6xf32>, tensor<8x6xf32> -> tensor<4x8xf32>
    return %0, %1 : tensor<4x6xf32>, tensor<4x8xf32>
  }
}

// -----

// Tests that on one device every collective folds away.
// AFTER-LABEL: func @one_device
// AFTER-NOT: tp.all_
// AFTER-NOT: tp.reduce_scatter
// AFTER: return
module attributes {tp.mesh = #tp.mesh<shape = [1]>} {
  func.func @one_device(%x: tensor<4x8xf32>, %w0: tensor<6x8xf32>, %w1: tensor<8x6xf32>) -> tensor<4x8xf32> {
    %0 = tp.linear %x, %w0 sharding(column) : tensor<4x8xf32>, tensor<6x8xf32> -> tensor<4x6xf32>
    %1 = tp.linear %0, %w1 sharding(row) : tensor<4x6xf32>, tensor<8x6xf32> -> tensor<4x8xf32>
    return %1 : tensor<4x8xf32>
  }
}

// -----

// Tests that a softmax between a row and a column layer keeps them from
// pairing: it needs whole rows, so the row layer's output is gathered, the
// softmax runs on it, and the column layer slices its part.
// AFTER-LABEL: func @softmax_between
// AFTER-NEXT: %[[A:.*]] = tp.local_linear %arg0, %arg1 : tensor<4x8xf32>, tensor<3x8xf32> -> tensor<4x3xf32>
// AFTER-NEXT: %[[G:.*]] = tp.all_gather %[[A]] along 1 : tensor<4x3xf32> -> tensor<4x6xf32>
// AFTER-NEXT: %[[S:.*]] = tp.softmax %[[G]] : tensor<4x6xf32>
// AFTER-NEXT: %[[L:.*]] = tp.all_slice %[[S]] along 1 : tensor<4x6xf32> -> tensor<4x3xf32>
// AFTER-NEXT: %[[B:.*]] = tp.local_linear %[[L]], %arg2 : tensor<4x3xf32>, tensor<8x3xf32> -> tensor<4x8xf32>
// AFTER-NEXT: %[[R:.*]] = tp.all_reduce sum %[[B]] : tensor<4x8xf32>
// AFTER-NEXT: %[[E:.*]] = tp.bias_activation %[[R]] : tensor<4x8xf32>
// AFTER-NEXT: %[[O:.*]] = tp.log_softmax %[[E]] : tensor<4x8xf32>
// AFTER-NEXT: return %[[O]]
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @softmax_between(%x: tensor<4x8xf32>, %w0: tensor<6x8xf32>, %w1: tensor<8x6xf32>) -> tensor<4x8xf32> {
    %0 = tp.linear %x, %w0 sharding(row) : tensor<4x8xf32>, tensor<6x8xf32> -> tensor<4x6xf32>
    %1 = tp.softmax %0 : tensor<4x6xf32>
    %2 = tp.linear %1, %w1 sharding(column) : tensor<4x6xf32>, tensor<8x6xf32> -> tensor<4x8xf32>
    %3 = tp.log_softmax %2 : tensor<4x8xf32>
    return %3 : tensor<4x8xf32>
  }
}

// -----

// Tests that a split of the batch goes on across a softmax: each device's
// rows are whole, so the softmax runs on its own rows and the gather and
// slice between two batch layers cancel; the log-softmax at the end runs
// before the final gather, on 1/D of the rows.
// AFTER-LABEL: func @softmax_batch
// AFTER: %[[X:.*]] = tp.all_slice %arg0 along 0 : tensor<?x8xf32> -> tensor<?x8xf32>
// AFTER-NEXT: %[[A:.*]] = tp.local_linear %[[X]], %arg1 : tensor<?x8xf32>, tensor<6x8xf32> -> tensor<?x6xf32>
// AFTER-NOT: tp.all_gather
// AFTER: %[[S:.*]] = tp.softmax %[[A]] : tensor<?x6xf32>
// AFTER-NEXT: %[[B:.*]] = tp.local_linear %[[S]], %arg2 : tensor<?x6xf32>, tensor<8x6xf32> -> tensor<?x8xf32>
// AFTER-NEXT: %[[L:.*]] = tp.log_softmax %[[B]] : tensor<?x8xf32>
// AFTER-NEXT: %[[G:.*]] = tp.all_gather %[[L]] along 0 size %{{.*}} : tensor<?x8xf32> -> tensor<?x8xf32>
// AFTER-NEXT: return %[[G]]
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @softmax_batch(%x: tensor<?x8xf32>, %w0: tensor<6x8xf32>, %w1: tensor<8x6xf32>) -> tensor<?x8xf32> {
    %0 = tp.linear %x, %w0 sharding(batch) : tensor<?x8xf32>, tensor<6x8xf32> -> tensor<?x6xf32>
    %1 = tp.softmax %0 : tensor<?x6xf32>
    %2 = tp.linear %1, %w1 sharding(batch) : tensor<?x6xf32>, tensor<8x6xf32> -> tensor<?x8xf32>
    %3 = tp.log_softmax %2 : tensor<?x8xf32>
    return %3 : tensor<?x8xf32>
  }
}

// -----

// Tests a row layer's output carried to a batch layer across a softmax:
// the slice of the batch moves above the softmax and meets the gather of
// the features, an all_to_all; the softmax runs on the device's rows.
// AFTER-LABEL: func @softmax_row_batch
// AFTER-NEXT: %[[A:.*]] = tp.local_linear %arg0, %arg1 : tensor<4x8xf32>, tensor<3x8xf32> -> tensor<4x3xf32>
// AFTER-NEXT: %[[T:.*]] = tp.all_to_all %[[A]] split 0 concat 1 : tensor<4x3xf32> -> tensor<2x6xf32>
// AFTER-NEXT: %[[S:.*]] = tp.softmax %[[T]] : tensor<2x6xf32>
// AFTER-NEXT: tp.local_linear %[[S]], %arg2 : tensor<2x6xf32>, tensor<8x6xf32> -> tensor<2x8xf32>
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @softmax_row_batch(%x: tensor<4x8xf32>, %w0: tensor<6x8xf32>, %w1: tensor<8x6xf32>) -> tensor<4x8xf32> {
    %0 = tp.linear %x, %w0 sharding(row) : tensor<4x8xf32>, tensor<6x8xf32> -> tensor<4x6xf32>
    %1 = tp.softmax %0 : tensor<4x6xf32>
    %2 = tp.linear %1, %w1 sharding(batch) : tensor<4x6xf32>, tensor<8x6xf32> -> tensor<4x8xf32>
    return %2 : tensor<4x8xf32>
  }
}

// -----

// Tests that a softmax with another user keeps its whole input: the batch
// layer slices the softmax's result where it is, instead of a second
// softmax on an all_to_all of the input.
// AFTER-LABEL: func @softmax_two_users
// AFTER: %[[G:.*]] = tp.all_gather %{{.*}} along 1 : tensor<4x3xf32> -> tensor<4x6xf32>
// AFTER-NEXT: %[[S:.*]] = tp.softmax %[[G]] : tensor<4x6xf32>
// AFTER-NEXT: %[[L:.*]] = tp.all_slice %[[S]] along 0 : tensor<4x6xf32> -> tensor<2x6xf32>
// AFTER-NEXT: tp.local_linear %[[L]], %arg2
// AFTER-NOT: tp.all_to_all
// AFTER-NOT: tp.softmax
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @softmax_two_users(%x: tensor<4x8xf32>, %w0: tensor<6x8xf32>, %w1: tensor<8x6xf32>) -> (tensor<4x6xf32>, tensor<4x8xf32>) {
    %0 = tp.linear %x, %w0 sharding(row) : tensor<4x8xf32>, tensor<6x8xf32> -> tensor<4x6xf32>
    %1 = tp.softmax %0 : tensor<4x6xf32>
    %2 = tp.linear %1, %w1 sharding(batch) : tensor<4x6xf32>, tensor<8x6xf32> -> tensor<4x8xf32>
    return %1, %2 : tensor<4x6xf32>, tensor<4x8xf32>
  }
}

// -----

// Tests that a column layer's result with another user stays whole: the
// next column layer slices it after the bias and activation, instead of a
// reduce_scatter beside the all_reduce (two collectives on one partial sum).
// AFTER-LABEL: func @column_two_users
// AFTER: %[[P:.*]] = tp.local_linear
// AFTER-NEXT: %[[R:.*]] = tp.all_reduce sum %[[P]] : tensor<4x10xf32>
// AFTER-NEXT: %[[Y:.*]] = tp.bias_activation %[[R]], %arg2 activation(silu) : tensor<4x10xf32>, tensor<10xf32>
// AFTER-NEXT: %[[S:.*]] = tp.all_slice %[[Y]] along 1 : tensor<4x10xf32> -> tensor<4x5xf32>
// AFTER-NEXT: tp.local_linear %[[S]], %arg3
// AFTER-NOT: tp.reduce_scatter
// AFTER: return %[[Y]],
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @column_two_users(%x: tensor<4x8xf32>, %w0: tensor<10x8xf32>, %b0: tensor<10xf32>, %w1: tensor<3x10xf32>) -> (tensor<4x10xf32>, tensor<4x3xf32>) {
    %0 = tp.linear %x, %w0, %b0 activation(silu) sharding(column) : tensor<4x8xf32>, tensor<10x8xf32>, tensor<10xf32> -> tensor<4x10xf32>
    %1 = tp.linear %0, %w1 sharding(column) : tensor<4x10xf32>, tensor<3x10xf32> -> tensor<4x3xf32>
    return %0, %1 : tensor<4x10xf32>, tensor<4x3xf32>
  }
}

// -----

// Tests the same through a separate activation with another user: it stays
// on the whole value, and the slice comes after it.
// AFTER-LABEL: func @activation_two_users
// AFTER: %[[R:.*]] = tp.all_reduce sum
// AFTER-NEXT: %[[B:.*]] = tp.bias_activation %[[R]] : tensor<4x10xf32>
// AFTER-NEXT: %[[A:.*]] = tp.activation relu %[[B]] : tensor<4x10xf32>
// AFTER-NEXT: %[[S:.*]] = tp.all_slice %[[A]] along 1 : tensor<4x10xf32> -> tensor<4x5xf32>
// AFTER-NEXT: tp.local_linear %[[S]], %arg2
// AFTER-NOT: tp.reduce_scatter
// AFTER-NOT: tp.activation
// AFTER: return %[[A]],
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @activation_two_users(%x: tensor<4x8xf32>, %w0: tensor<10x8xf32>, %w1: tensor<3x10xf32>) -> (tensor<4x10xf32>, tensor<4x3xf32>) {
    %0 = tp.linear %x, %w0 sharding(column) : tensor<4x8xf32>, tensor<10x8xf32> -> tensor<4x10xf32>
    %a = tp.activation relu %0 : tensor<4x10xf32>
    %1 = tp.linear %a, %w1 sharding(column) : tensor<4x10xf32>, tensor<3x10xf32> -> tensor<4x3xf32>
    return %a, %1 : tensor<4x10xf32>, tensor<4x3xf32>
  }
}
