// RUN: tp-opt %s -split-input-file --tp-gpu-device-copies -verify-diagnostics | FileCheck %s

// Tests that buffer copies become linalg.copy, which the GPU pipeline maps
// to a kernel: every buffer of GPU code is device memory.
// CHECK-LABEL: func.func @copies
// CHECK: linalg.copy ins(%arg0 : memref<4x8xf32>) outs(%arg1 : memref<4x8xf32>)
// CHECK: linalg.copy ins(%{{.*}} : memref<4x3xf32, strided<[8, 1], offset: 2>>) outs(%{{.*}} : memref<4x3xf32>)
// CHECK-NOT: memref.copy
func.func @copies(%a: memref<4x8xf32>, %b: memref<4x8xf32>) -> memref<4x3xf32> {
  memref.copy %a, %b : memref<4x8xf32> to memref<4x8xf32>
  %s = memref.subview %a[0, 2] [4, 3] [1, 1] : memref<4x8xf32> to memref<4x3xf32, strided<[8, 1], offset: 2>>
  %c = memref.alloc() : memref<4x3xf32>
  memref.copy %s, %c : memref<4x3xf32, strided<[8, 1], offset: 2>> to memref<4x3xf32>
  return %c : memref<4x3xf32>
}

// -----

// A dense constant lives in host memory, which kernels cannot read.
memref.global "private" constant @table : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>
func.func @constant() -> memref<4xf32> {
  // expected-error @below {{reads the constant 'table' from host memory, which GPU kernels cannot read; the GPU lowering supports no dense constants}}
  %0 = memref.get_global @table : memref<4xf32>
  return %0 : memref<4xf32>
}
