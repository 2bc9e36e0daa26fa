// The shard pipeline inlines helper functions before upstream's sharding
// propagation, which has no sharding for a call; a call that stays (to a
// declaration) is refused in tp's words.
// RUN: tp-opt %S/../../tools/tp-run/Inputs/shard-mlp-helper.mlir --tp-shard-to-tp-pipeline | FileCheck %s
// RUN: tp-opt %s --tp-shard-to-tp-pipeline -verify-diagnostics

// CHECK: func.func @mlp(
// CHECK-NOT: call
// CHECK: tp.all_reduce sum
// CHECK-NOT: call
// CHECK: tp.all_gather
// CHECK-NOT: func.func private @bias_relu

shard.grid @grid(shape = 2)
func.func private @external(tensor<4x8xf32>) -> tensor<4x8xf32>
func.func @calls(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @below {{calls @external, which stays a call after inlining (a declaration without a body, or recursion); upstream's sharding propagation cannot see through calls: give the callee a body, or write its ops in the caller}}
  %y = func.call @external(%x) : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
