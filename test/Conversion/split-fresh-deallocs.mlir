// RUN: tp-opt %s --split-input-file --tp-split-fresh-deallocs | FileCheck %s

// Distinct fresh buffers, freed under constant-true conditions: each one
// that is not retained gets a memref.dealloc; the retained one is owned
// (it is among the buffers), the other retained allocation is not.

// CHECK-LABEL: func.func @fresh(
// CHECK-NOT: bufferization.dealloc
// CHECK-DAG: memref.dealloc %[[A:.*]] : memref<4xf32>
// CHECK-DAG: memref.dealloc %[[B:.*]] : memref<8xf32>
// CHECK: return %{{[a-z_0-9]+}}, %{{[a-z_0-9]+}}, %true{{[_0-9]*}}, %false :
func.func @fresh() -> (memref<2xf32>, memref<2xf32>, i1, i1) {
  %true = arith.constant true
  %a = memref.alloc() : memref<4xf32>
  %b = memref.alloc() : memref<8xf32>
  %c = memref.alloc() : memref<2xf32>
  %d = memref.alloc() : memref<2xf32>
  %owned:2 = bufferization.dealloc (%a, %b, %c : memref<4xf32>, memref<8xf32>, memref<2xf32>)
      if (%true, %true, %true) retain (%c, %d : memref<2xf32>, memref<2xf32>)
  return %c, %d, %owned#0, %owned#1 : memref<2xf32>, memref<2xf32>, i1, i1
}

// -----

// A condition that is not constant, a buffer that is a view, or a retained
// function argument (which may alias a buffer): left to the upstream
// passes.

// CHECK-LABEL: func.func @kept(
// CHECK-COUNT-3: bufferization.dealloc
func.func @kept(%cond: i1, %arg: memref<4xf32>) -> i1 {
  %true = arith.constant true
  %a = memref.alloc() : memref<4xf32>
  bufferization.dealloc (%a : memref<4xf32>) if (%cond)
  %b = memref.alloc() : memref<4xf32>
  %v = memref.subview %b[0] [2] [1] : memref<4xf32> to memref<2xf32, strided<[1]>>
  %base, %offset, %size, %stride = memref.extract_strided_metadata %v : memref<2xf32, strided<[1]>> -> memref<f32>, index, index, index
  bufferization.dealloc (%base : memref<f32>) if (%true)
  %c = memref.alloc() : memref<4xf32>
  %o = bufferization.dealloc (%c : memref<4xf32>) if (%true) retain (%arg : memref<4xf32>)
  return %o : i1
}

// -----

// Each buffer is freed right after the last use of it or of a value made
// from it (here a cast); the base buffer's extraction, which only feeds the
// dealloc, does not count.

// CHECK-LABEL: func.func @placed(
// CHECK: %[[A:.*]] = memref.alloc()
// CHECK-NEXT: %[[C:.*]] = memref.cast %[[A]]
// CHECK-NEXT: memref.copy %{{.*}}, %[[C]]
// CHECK-NEXT: memref.dealloc %[[A]]
// CHECK-NEXT: %[[B:.*]] = memref.alloc()
// CHECK-NEXT: memref.copy %{{.*}}, %[[B]]
// CHECK-NEXT: memref.dealloc %[[B]]
// CHECK-NOT: bufferization.dealloc
func.func @placed(%x: memref<4xf32>) {
  %true = arith.constant true
  %a = memref.alloc() : memref<4xf32>
  %c = memref.cast %a : memref<4xf32> to memref<?xf32>
  memref.copy %x, %c : memref<4xf32> to memref<?xf32>
  %b = memref.alloc() : memref<4xf32>
  memref.copy %x, %b : memref<4xf32> to memref<4xf32>
  %base, %offset, %size, %stride = memref.extract_strided_metadata %a : memref<4xf32> -> memref<f32>, index, index, index
  bufferization.dealloc (%base, %b : memref<f32>, memref<4xf32>) if (%true, %true)
  return
}
