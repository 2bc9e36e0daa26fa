// The bridge end to end at the IR level: upstream's sharding-propagation
// and shard-partition between tp-prepare-shard's checks and
// convert-shard-to-tp give tp's Megatron pairing for the annotated MLP.
// RUN: tp-opt %S/../../tools/tp-run/Inputs/shard-mlp.mlir --tp-shard-to-tp-pipeline | FileCheck %s

// The same IR through upstream's own executable route, convert-shard-to-mpi,
// fails at the result's all_gather, which it does not lower (LLVM 22); it
// reports the error and still exits 0, with the gather left in the IR.
// RUN: mlir-opt %S/../../tools/tp-run/Inputs/shard-mlp.mlir \
// RUN:   --pass-pipeline='builtin.module(func.func(sharding-propagation,shard-partition),convert-shard-to-mpi)' 2>&1 \
// RUN:   | FileCheck %s --check-prefix=UPSTREAM
// UPSTREAM: error: failed to legalize operation 'shard.all_gather' that was explicitly marked illegal
// UPSTREAM: shard.all_gather

// CHECK: module attributes {tp.mesh = #tp.mesh<shape = [2]>}
// CHECK-NOT: shard.
// CHECK: func.func @mlp(
// CHECK-SAME: tensor<4x8xf32> {tp.shard = #tp.shard<shape = [4, 8]>}
// CHECK-SAME: tensor<8x8xf32> {tp.name = "fc0.weight", tp.shard = #tp.shard<shape = [8, 16], dim = 1, offsets = [0, 8], sizes = [8, 8]>}
// CHECK-SAME: tensor<8xf32> {tp.name = "fc0.bias", tp.shard = #tp.shard<shape = [16], dim = 0, offsets = [0, 8], sizes = [8, 8]>}
// CHECK-SAME: tensor<8x12xf32> {tp.name = "fc1.weight", tp.shard = #tp.shard<shape = [16, 12], dim = 0, offsets = [0, 8], sizes = [8, 8]>}
// CHECK-SAME: tensor<12xf32> {tp.name = "fc1.bias", tp.shard = #tp.shard<shape = [12]>}
// CHECK-SAME: tensor<12x4xf32> {tp.name = "fc2.weight", tp.shard = #tp.shard<shape = [12, 8], dim = 1, offsets = [0, 4], sizes = [4, 4]>}
// CHECK-SAME: -> tensor<4x8xf32> attributes {tp.spmd}
// CHECK: linalg.matmul {{.*}} -> tensor<4x8xf32>
// CHECK: tp.rank
// CHECK: %[[P:.*]] = linalg.matmul {{.*}} -> tensor<4x12xf32>
// CHECK: %[[S:.*]] = tp.all_reduce sum %[[P]] : tensor<4x12xf32>
// CHECK: linalg.generic {{.*}} ins(%[[S]]
// CHECK: math.tanh
// CHECK: %[[L:.*]] = linalg.matmul {{.*}} -> tensor<4x4xf32>
// CHECK: %[[Y:.*]] = tp.all_gather %[[L]] along 1 : tensor<4x4xf32> -> tensor<4x8xf32>
// CHECK: return %[[Y]]
