// RUN: tp-opt %s --split-input-file --tp-matmul-to-blas | FileCheck %s

// A fresh buffer zero-filled just before its matmul is sgemm's beta = 0:
// the fill goes, and the call overwrites. Anything that could change the
// buffer in between, or another fill value, keeps beta = 1 and the fill.

#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d1, d2)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>

// CHECK-LABEL: func.func @fresh_zero
// CHECK-NOT: linalg.fill
// CHECK: call @tp_rt_matmul_nt_overwrite(
func.func @fresh_zero(%x: memref<4x8xf32>, %w: memref<6x8xf32>) -> memref<4x6xf32> {
  %zero = arith.constant 0.0 : f32
  %y = memref.alloc() : memref<4x6xf32>
  linalg.fill ins(%zero : f32) outs(%y : memref<4x6xf32>)
  linalg.matmul indexing_maps = [#a, #b, #c] ins(%x, %w : memref<4x8xf32>, memref<6x8xf32>) outs(%y : memref<4x6xf32>)
  return %y : memref<4x6xf32>
}

// -----

#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d1, d2)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>

// CHECK-LABEL: func.func @one
// CHECK: linalg.fill
// CHECK: call @tp_rt_matmul_nt(
func.func @one(%x: memref<4x8xf32>, %w: memref<6x8xf32>) -> memref<4x6xf32> {
  %one = arith.constant 1.0 : f32
  %y = memref.alloc() : memref<4x6xf32>
  linalg.fill ins(%one : f32) outs(%y : memref<4x6xf32>)
  linalg.matmul indexing_maps = [#a, #b, #c] ins(%x, %w : memref<4x8xf32>, memref<6x8xf32>) outs(%y : memref<4x6xf32>)
  return %y : memref<4x6xf32>
}

// -----

#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d1, d2)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>

// CHECK-LABEL: func.func @written_between
// CHECK: linalg.fill
// CHECK: memref.store
// CHECK: call @tp_rt_matmul_nt(
func.func @written_between(%x: memref<4x8xf32>, %w: memref<6x8xf32>, %v: f32) -> memref<4x6xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %y = memref.alloc() : memref<4x6xf32>
  linalg.fill ins(%zero : f32) outs(%y : memref<4x6xf32>)
  memref.store %v, %y[%c0, %c0] : memref<4x6xf32>
  linalg.matmul indexing_maps = [#a, #b, #c] ins(%x, %w : memref<4x8xf32>, memref<6x8xf32>) outs(%y : memref<4x6xf32>)
  return %y : memref<4x6xf32>
}

// -----

#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d1, d2)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>

// CHECK-LABEL: func.func @view_before
// CHECK: linalg.fill
// CHECK: call @tp_rt_matmul_nt(
func.func @view_before(%x: memref<4x8xf32>, %w: memref<6x8xf32>, %v: f32) -> memref<4x6xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %y = memref.alloc() : memref<4x6xf32>
  %alias = memref.subview %y[0, 0] [1, 6] [1, 1] : memref<4x6xf32> to memref<1x6xf32, strided<[6, 1]>>
  linalg.fill ins(%zero : f32) outs(%y : memref<4x6xf32>)
  memref.store %v, %alias[%c0, %c0] : memref<1x6xf32, strided<[6, 1]>>
  linalg.matmul indexing_maps = [#a, #b, #c] ins(%x, %w : memref<4x8xf32>, memref<6x8xf32>) outs(%y : memref<4x6xf32>)
  return %y : memref<4x6xf32>
}

// -----

#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d1, d2)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>

// An argument may be another name for memory that a call in between
// writes: nothing that touches memory may come between.
// CHECK-LABEL: func.func @argument_call_between
// CHECK: linalg.fill
// CHECK: call @writes_somewhere(
// CHECK: call @tp_rt_matmul_nt(
func.func private @writes_somewhere()
func.func @argument_call_between(%x: memref<4x8xf32>, %w: memref<6x8xf32>, %y: memref<4x6xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<4x6xf32>)
  call @writes_somewhere() : () -> ()
  linalg.matmul indexing_maps = [#a, #b, #c] ins(%x, %w : memref<4x8xf32>, memref<6x8xf32>) outs(%y : memref<4x6xf32>)
  return
}

// -----

#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d1, d2)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>

// With only pure ops between them, an argument's zero fill is beta = 0 as
// well (the generated matmul's kernels fill the buffer their caller
// passes, then leave a single row to BLAS).
// CHECK-LABEL: func.func @argument_adjacent
// CHECK-NOT: linalg.fill
// CHECK: call @tp_rt_matmul_nt_overwrite(
func.func @argument_adjacent(%x: memref<4x8xf32>, %w: memref<6x8xf32>, %y: memref<4x6xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<4x6xf32>)
  %c0 = arith.constant 0 : index
  linalg.matmul indexing_maps = [#a, #b, #c] ins(%x, %w : memref<4x8xf32>, memref<6x8xf32>) outs(%y : memref<4x6xf32>)
  return
}
