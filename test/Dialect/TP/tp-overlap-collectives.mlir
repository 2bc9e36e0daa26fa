// RUN: tp-opt %s -split-input-file --tp-overlap-collectives=chunks=3 -canonicalize -cse | FileCheck %s
// RUN: not tp-opt %s -split-input-file --tp-overlap-collectives=chunks=1 2>&1 | FileCheck %s --check-prefix=ONE
// RUN: not tp-opt %s -split-input-file --tp-overlap-collectives=chunks=65 2>&1 | FileCheck %s --check-prefix=MANY

// MANY: error: tp-overlap-collectives: 'chunks' must be from 2 to 64, found 65
// ONE: error: tp-overlap-collectives: 'chunks' must be from 2 to 64, found 1

// A column layer: chunk i's all_reduce is in flight while chunk i + 1 is
// computed; each result is inserted into its rows of the output, and the
// bias and activation run once on the whole. 8 rows in 3 chunks: 3, 3, 2.
// CHECK-LABEL: func.func @column
// CHECK-SAME: (%[[X:.*]]: tensor<8x64xf32>, %[[W:.*]]: tensor<32x64xf32>, %[[B:.*]]: tensor<32xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<8x32xf32>
// CHECK: %[[X0:.*]] = tensor.extract_slice %[[X]][0, 0] [3, 64] [1, 1]
// CHECK: %[[P0:.*]] = tp.local_linear %[[X0]], %[[W]] : tensor<3x64xf32>
// CHECK: %[[H0:.*]] = tp.all_reduce_start sum %[[P0]] : tensor<3x32xf32> -> !tp.pending<tensor<3x32xf32>>
// CHECK: %[[X1:.*]] = tensor.extract_slice %[[X]][3, 0] [3, 64] [1, 1]
// CHECK: %[[P1:.*]] = tp.local_linear %[[X1]], %[[W]]
// CHECK: %[[H1:.*]] = tp.all_reduce_start sum %[[P1]]
// CHECK: %[[S0:.*]] = tp.wait %[[H0]] : !tp.pending<tensor<3x32xf32>>
// CHECK: %[[I0:.*]] = tensor.insert_slice %[[S0]] into %[[E]][0, 0] [3, 32] [1, 1]
// CHECK: %[[X2:.*]] = tensor.extract_slice %[[X]][6, 0] [2, 64] [1, 1]
// CHECK: %[[P2:.*]] = tp.local_linear %[[X2]], %[[W]]
// CHECK: %[[H2:.*]] = tp.all_reduce_start sum %[[P2]] : tensor<2x32xf32>
// CHECK: %[[S1:.*]] = tp.wait %[[H1]]
// CHECK: %[[I1:.*]] = tensor.insert_slice %[[S1]] into %[[I0]][3, 0] [3, 32] [1, 1]
// CHECK: %[[S2:.*]] = tp.wait %[[H2]]
// CHECK: %[[I2:.*]] = tensor.insert_slice %[[S2]] into %[[I1]][6, 0] [2, 32] [1, 1]
// CHECK: %[[Y:.*]] = tp.bias_activation %[[I2]], %[[B]] activation(relu) : tensor<8x32xf32>
// CHECK: return %[[Y]]
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @column(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>, %b: tensor<32xf32>) -> tensor<8x32xf32> attributes {tp.spmd} {
    %p = tp.local_linear %x, %w : tensor<8x64xf32>, tensor<32x64xf32> -> tensor<8x32xf32>
    %s = tp.all_reduce sum %p : tensor<8x32xf32>
    %y = tp.bias_activation %s, %b activation(relu) : tensor<8x32xf32>, tensor<32xf32>
    return %y : tensor<8x32xf32>
  }
}

// -----

// A row layer with a dynamic batch: chunk bounds come from its extent, and
// the output is made with that extent.
// CHECK-LABEL: func.func @row
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>, %[[W:.*]]: tensor<16x64xf32>, %[[B:.*]]: tensor<16xf32>)
// CHECK: %[[M:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x64xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[M]]) : tensor<?x32xf32>
// CHECK: %[[Q:.*]] = arith.divui %[[M]], %{{.*}} : index
// CHECK: %[[P0:.*]] = tp.local_linear %{{.*}}, %[[W]], %[[B]] activation(gelu) : tensor<?x64xf32>
// CHECK: %[[H0:.*]] = tp.all_gather_start %[[P0]] along 1 : tensor<?x16xf32> -> !tp.pending<tensor<?x32xf32>>
// CHECK: %[[P1:.*]] = tp.local_linear
// CHECK: %[[H1:.*]] = tp.all_gather_start %[[P1]] along 1
// CHECK: %[[G0:.*]] = tp.wait %[[H0]]
// CHECK: %[[I0:.*]] = tensor.insert_slice %[[G0]] into %[[E]][0, 0] [%{{.*}}, 32] [1, 1] : tensor<?x32xf32> into tensor<?x32xf32>
// CHECK: %[[P2:.*]] = tp.local_linear
// CHECK: %[[H2:.*]] = tp.all_gather_start %[[P2]] along 1
// CHECK: %[[G1:.*]] = tp.wait %[[H1]]
// CHECK: %[[I1:.*]] = tensor.insert_slice %[[G1]] into %[[I0]]
// CHECK: %[[G2:.*]] = tp.wait %[[H2]]
// CHECK: %[[I2:.*]] = tensor.insert_slice %[[G2]] into %[[I1]]
// CHECK: return %[[I2]]
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @row(%x: tensor<?x64xf32>, %w: tensor<16x64xf32>, %b: tensor<16xf32>) -> tensor<?x32xf32> attributes {tp.spmd} {
    %p = tp.local_linear %x, %w, %b activation(gelu) : tensor<?x64xf32>, tensor<16x64xf32>, tensor<16xf32> -> tensor<?x16xf32>
    %g = tp.all_gather %p along 1 : tensor<?x16xf32> -> tensor<?x32xf32>
    return %g : tensor<?x32xf32>
  }
}

// -----

// Left alone: a batch of 2 rows cannot make 3 chunks; a local product with
// another use; a gather along the batch (a batch-split layer).
// CHECK-LABEL: func.func @untouched
// CHECK-NOT: _start
// CHECK: tp.all_reduce sum
// CHECK: tp.all_gather %{{.*}} along 1
// CHECK: tp.all_gather %{{.*}} along 0
// CHECK-NOT: _start
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @untouched(%x: tensor<2x64xf32>, %w: tensor<32x64xf32>, %x2: tensor<9x64xf32>, %w2: tensor<16x64xf32>, %rows: tensor<?x64xf32>, %w3: tensor<64x64xf32>, %n: index) -> (tensor<2x32xf32>, tensor<9x32xf32>, tensor<9x16xf32>, tensor<?x64xf32>) attributes {tp.spmd} {
    %p = tp.local_linear %x, %w : tensor<2x64xf32>, tensor<32x64xf32> -> tensor<2x32xf32>
    %s = tp.all_reduce sum %p : tensor<2x32xf32>
    %q = tp.local_linear %x2, %w2 : tensor<9x64xf32>, tensor<16x64xf32> -> tensor<9x16xf32>
    %g = tp.all_gather %q along 1 : tensor<9x16xf32> -> tensor<9x32xf32>
    %r = tp.local_linear %rows, %w3 : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
    %h = tp.all_gather %r along 0 size %n : tensor<?x64xf32> -> tensor<?x64xf32>
    return %s, %g, %q, %h : tensor<2x32xf32>, tensor<9x32xf32>, tensor<9x16xf32>, tensor<?x64xf32>
  }
}

// -----

// A function with asynchronous collectives of its own is left as it is: the
// chunks' starts and waits would interleave with them out of start order.
// CHECK-LABEL: func.func @own_async
// CHECK: tp.all_reduce_start sum %arg2
// CHECK: tp.all_reduce_start max %arg2
// CHECK: tp.local_linear %arg0, %arg1 : tensor<8x64xf32>, tensor<16x64xf32> -> tensor<8x16xf32>
// CHECK-NEXT: tp.all_reduce sum
// CHECK-COUNT-2: tp.wait
// CHECK-NOT: tp.wait
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @own_async(%x: tensor<8x64xf32>, %w: tensor<16x64xf32>, %z: tensor<4x4xf32>) -> (tensor<8x16xf32>, tensor<4x4xf32>, tensor<4x4xf32>) attributes {tp.spmd} {
    %h0 = tp.all_reduce_start sum %z : tensor<4x4xf32> -> !tp.pending<tensor<4x4xf32>>
    %h1 = tp.all_reduce_start max %z : tensor<4x4xf32> -> !tp.pending<tensor<4x4xf32>>
    %p = tp.local_linear %x, %w : tensor<8x64xf32>, tensor<16x64xf32> -> tensor<8x16xf32>
    %s = tp.all_reduce sum %p : tensor<8x16xf32>
    %r0 = tp.wait %h0 : !tp.pending<tensor<4x4xf32>>
    %r1 = tp.wait %h1 : !tp.pending<tensor<4x4xf32>>
    return %s, %r0, %r1 : tensor<8x16xf32>, tensor<4x4xf32>, tensor<4x4xf32>
  }
}

// -----

// Also when the layer is in a region and the collectives in flight are
// around it: chunked, it would make four in flight.
// CHECK-LABEL: func.func @async_around
// CHECK: scf.if
// CHECK-NEXT: tp.local_linear
// CHECK-NEXT: tp.all_reduce sum
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @async_around(%x: tensor<8x64xf32>, %w: tensor<16x64xf32>, %z: tensor<4x4xf32>, %c: i1) -> (tensor<8x16xf32>, tensor<4x4xf32>, tensor<4x4xf32>) attributes {tp.spmd} {
    %h0 = tp.all_reduce_start sum %z : tensor<4x4xf32> -> !tp.pending<tensor<4x4xf32>>
    %h1 = tp.all_reduce_start max %z : tensor<4x4xf32> -> !tp.pending<tensor<4x4xf32>>
    %s = scf.if %c -> tensor<8x16xf32> {
      %p = tp.local_linear %x, %w : tensor<8x64xf32>, tensor<16x64xf32> -> tensor<8x16xf32>
      %r = tp.all_reduce sum %p : tensor<8x16xf32>
      scf.yield %r : tensor<8x16xf32>
    } else {
      %e = tensor.empty() : tensor<8x16xf32>
      scf.yield %e : tensor<8x16xf32>
    }
    %r0 = tp.wait %h0 : !tp.pending<tensor<4x4xf32>>
    %r1 = tp.wait %h1 : !tp.pending<tensor<4x4xf32>>
    return %s, %r0, %r1 : tensor<8x16xf32>, tensor<4x4xf32>, tensor<4x4xf32>
  }
}
