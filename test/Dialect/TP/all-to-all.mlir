// RUN: tp-opt %s | tp-opt | FileCheck %s
// RUN: tp-opt %s --canonicalize | FileCheck %s --check-prefix=FOLD

// Tests that tp.all_to_all and a sized tp.all_gather round-trip, on even
// and uneven splits, and that both fold to their operand on one device.
module attributes {tp.mesh = #tp.mesh<shape = [3]>} {
  // CHECK-LABEL: func @moves
  func.func @moves(%rows: tensor<?x12xf32>, %cols: tensor<?x4xf32>, %b: index)
      -> (tensor<?x4xf32>, tensor<?x12xf32>, tensor<?x12xf32>) attributes {tp.spmd} {
    // CHECK: tp.all_to_all %{{.*}} split 1 concat 0 size %{{.*}} : tensor<?x12xf32> -> tensor<?x4xf32>
    %0 = tp.all_to_all %rows split 1 concat 0 size %b : tensor<?x12xf32> -> tensor<?x4xf32>
    // CHECK: tp.all_to_all %{{.*}} split 0 concat 1 : tensor<?x4xf32> -> tensor<?x12xf32>
    %1 = tp.all_to_all %cols split 0 concat 1 : tensor<?x4xf32> -> tensor<?x12xf32>
    // CHECK: tp.all_gather %{{.*}} along 0 size %{{.*}} : tensor<?x12xf32> -> tensor<?x12xf32>
    %2 = tp.all_gather %rows along 0 size %b : tensor<?x12xf32> -> tensor<?x12xf32>
    return %0, %1, %2 : tensor<?x4xf32>, tensor<?x12xf32>, tensor<?x12xf32>
  }
  // CHECK-LABEL: func @uneven
  func.func @uneven(%x: tensor<5x?xf32>) -> tensor<?x10xf32> attributes {tp.spmd} {
    // CHECK: tp.all_to_all %{{.*}} split 0 concat 1 : tensor<5x?xf32> -> tensor<?x10xf32>
    %0 = tp.all_to_all %x split 0 concat 1 : tensor<5x?xf32> -> tensor<?x10xf32>
    return %0 : tensor<?x10xf32>
  }
}

module attributes {tp.mesh = #tp.mesh<shape = [1]>} {
  // FOLD-LABEL: func @one_device
  // FOLD-NEXT: return %arg0
  func.func @one_device(%x: tensor<8x6xf32>) -> tensor<8x6xf32> attributes {tp.spmd} {
    %0 = tp.all_to_all %x split 1 concat 0 : tensor<8x6xf32> -> tensor<8x6xf32>
    return %0 : tensor<8x6xf32>
  }
}
