// Which local matmuls matmul=auto generates, split by split, at D = 2: the
// rule the planner's memory model mirrors (generatesMatmul in
// lib/Planner/Planner.cpp; PlannerTest's GeneratedMatmulsCountTheirPackedBuffers
// takes the same shapes). A width below 256 that is known statically
// stays a matmul (sgemm); an uneven split's width is dynamic and is
// generated.
// RUN: tp-opt %s --tp-partition-pipeline="devices=2" --convert-tp-to-linalg --tp-tile-matmuls="vector-lanes=16 min-features=256" | FileCheck %s

// Row: 250 outputs per device.
// CHECK-LABEL: func.func @row_500(
// CHECK-NOT: call @tp_matmul
// CHECK: linalg.matmul
// Row: 257 and 256 outputs, so the shard's width is dynamic.
// CHECK-LABEL: func.func @row_513(
// CHECK: call @tp_matmul
// CHECK-LABEL: func.func @column_301(
// CHECK: call @tp_matmul
// Column: 150 in-features per device.
// CHECK-LABEL: func.func @column_300(
// CHECK-NOT: call @tp_matmul
// CHECK: linalg.matmul
// CHECK-LABEL: func.func @replicated_in_200(
// CHECK-NOT: call @tp_matmul
// CHECK: linalg.matmul
// CHECK-LABEL: func.func @replicated_out_200(
// CHECK-NOT: call @tp_matmul
// CHECK: linalg.matmul
// CHECK-LABEL: func.func @batch_2048(
// CHECK: call @tp_matmul
// CHECK-LABEL: func.func private @tp_matmul(

func.func @row_500(%x: tensor<?x2048xf32>, %w: tensor<500x2048xf32>) -> tensor<?x500xf32> {
  %y = tp.linear %x, %w sharding(row) : tensor<?x2048xf32>, tensor<500x2048xf32> -> tensor<?x500xf32>
  return %y : tensor<?x500xf32>
}
func.func @row_513(%x: tensor<?x2048xf32>, %w: tensor<513x2048xf32>) -> tensor<?x513xf32> {
  %y = tp.linear %x, %w sharding(row) : tensor<?x2048xf32>, tensor<513x2048xf32> -> tensor<?x513xf32>
  return %y : tensor<?x513xf32>
}
func.func @column_301(%x: tensor<?x301xf32>, %w: tensor<2048x301xf32>) -> tensor<?x2048xf32> {
  %y = tp.linear %x, %w sharding(column) : tensor<?x301xf32>, tensor<2048x301xf32> -> tensor<?x2048xf32>
  return %y : tensor<?x2048xf32>
}
func.func @column_300(%x: tensor<?x300xf32>, %w: tensor<2048x300xf32>) -> tensor<?x2048xf32> {
  %y = tp.linear %x, %w sharding(column) : tensor<?x300xf32>, tensor<2048x300xf32> -> tensor<?x2048xf32>
  return %y : tensor<?x2048xf32>
}
func.func @replicated_in_200(%x: tensor<?x200xf32>, %w: tensor<2048x200xf32>) -> tensor<?x2048xf32> {
  %y = tp.linear %x, %w sharding(replicated) : tensor<?x200xf32>, tensor<2048x200xf32> -> tensor<?x2048xf32>
  return %y : tensor<?x2048xf32>
}
func.func @replicated_out_200(%x: tensor<?x2048xf32>, %w: tensor<200x2048xf32>) -> tensor<?x200xf32> {
  %y = tp.linear %x, %w sharding(replicated) : tensor<?x2048xf32>, tensor<200x2048xf32> -> tensor<?x200xf32>
  return %y : tensor<?x200xf32>
}
func.func @batch_2048(%x: tensor<?x2048xf32>, %w: tensor<2048x2048xf32>) -> tensor<?x2048xf32> {
  %y = tp.linear %x, %w sharding(batch) : tensor<?x2048xf32>, tensor<2048x2048xf32> -> tensor<?x2048xf32>
  return %y : tensor<?x2048xf32>
}
