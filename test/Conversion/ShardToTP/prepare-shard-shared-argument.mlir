// RUN: tp-opt %s --split-input-file --tp-prepare-shard | FileCheck %s

// An argument annotated for several users (as propagation leaves an input
// that two ops read): shard-partition takes the argument's local type from
// its one use, so annotations that agree become one.

// CHECK-LABEL: func.func @agree
// CHECK-SAME: tp.pending_shard = #tp.shard<shape = [4, 6], dim = 1, offsets = [0, 3], sizes = [3, 3]>
// CHECK: %[[S:.*]] = shard.sharding @grid split_axes = {{\[\[}}], [0]]
// CHECK-NEXT: %[[A:.*]] = shard.shard %arg0 to %[[S]] annotate_for_users
// CHECK-NOT: shard.shard %arg0
// CHECK: shard.shard %[[A]] to
// CHECK-NEXT: shard.shard %[[A]] to
shard.grid @grid(shape = 2)
func.func @agree(%x: tensor<4x6xf32>) -> (tensor<4x6xf32>, tensor<4x6xf32>) {
  %s = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %a = shard.shard %x to %s annotate_for_users : tensor<4x6xf32>
  %t = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %b = shard.shard %x to %t annotate_for_users : tensor<4x6xf32>
  %whole = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %ra = shard.shard %a to %whole annotate_for_users : tensor<4x6xf32>
  %rb = shard.shard %b to %whole annotate_for_users : tensor<4x6xf32>
  return %ra, %rb : tensor<4x6xf32>, tensor<4x6xf32>
}

// -----

// Annotations that differ: the first stays the argument's, and the other
// takes its result, from which shard-partition reshards it (as upstream's
// canonicalization folds duplicate annotations).

// CHECK-LABEL: func.func @differ
// CHECK-SAME: tp.pending_shard = #tp.shard<shape = [4, 6], dim = 1, offsets = [0, 3], sizes = [3, 3]>
// CHECK: %[[A:.*]] = shard.shard %arg0 to %{{.*}} annotate_for_users
// CHECK-NOT: shard.shard %arg0
// CHECK: shard.shard %[[A]] to
// CHECK: shard.shard %[[A]] to
shard.grid @grid(shape = 2)
func.func @differ(%x: tensor<4x6xf32>) -> (tensor<4x6xf32>, tensor<4x6xf32>) {
  %s = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %a = shard.shard %x to %s annotate_for_users : tensor<4x6xf32>
  %whole = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %b = shard.shard %x to %whole annotate_for_users : tensor<4x6xf32>
  %ra = shard.shard %a to %whole annotate_for_users : tensor<4x6xf32>
  return %ra, %b : tensor<4x6xf32>, tensor<4x6xf32>
}

// -----

// The same sharding with another flag is the same sharding: a split the
// user gave the argument itself stays, and the annotation propagation
// added for another reader is folded into it.

// CHECK-LABEL: func.func @own
// CHECK-SAME: tp.pending_shard = #tp.shard<shape = [4, 6], dim = 0, offsets = [0, 2], sizes = [2, 2]>
// CHECK: %[[A:.*]] = shard.shard %arg0 to %{{.*}} : tensor<4x6xf32>
// CHECK-NOT: shard.shard %arg0
shard.grid @grid(shape = 2)
func.func @own(%x: tensor<4x6xf32>) -> (tensor<4x6xf32>, tensor<4x6xf32>) {
  %rows = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %a = shard.shard %x to %rows : tensor<4x6xf32>
  %b = shard.shard %x to %rows annotate_for_users : tensor<4x6xf32>
  %whole = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %ra = shard.shard %a to %whole annotate_for_users : tensor<4x6xf32>
  %rb = shard.shard %b to %whole annotate_for_users : tensor<4x6xf32>
  return %ra, %rb : tensor<4x6xf32>, tensor<4x6xf32>
}
