// A dynamic batch in a shard program: the manifests write it as `?`, and
// the output parses again.
// RUN: tp-opt %s --tp-shard-to-tp-pipeline | FileCheck %s
// RUN: tp-opt %s --tp-shard-to-tp-pipeline | tp-opt | FileCheck %s

// CHECK-LABEL: func.func @f
// CHECK-SAME: tensor<?x8xf32> {tp.shard = #tp.shard<shape = [?, 8]>}
// CHECK-SAME: tp.shard = #tp.shard<shape = [8, 16], dim = 1, offsets = [0, 8], sizes = [8, 8]>
// CHECK-SAME: tensor<?x8xf32> {tp.shard = #tp.shard<shape = [?, 16], dim = 1, offsets = [0, 8], sizes = [8, 8]>}
// CHECK: tp.all_gather %{{.*}} along 1 : tensor<?x8xf32> -> tensor<?x16xf32>
shard.grid @grid(shape = 2)
func.func @f(%x: tensor<?x8xf32>, %w0: tensor<8x16xf32> {tp.name = "w0"}, %acc: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %cols = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %whole = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %w0s = shard.shard %w0 to %cols annotate_for_users : tensor<8x16xf32>
  %m0 = linalg.matmul ins(%x, %w0s : tensor<?x8xf32>, tensor<8x16xf32>) outs(%acc : tensor<?x16xf32>) -> tensor<?x16xf32>
  %y = shard.shard %m0 to %whole annotate_for_users : tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
