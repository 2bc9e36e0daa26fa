// RUN: tp-opt %s --split-input-file --tp-outline-segments=ops=2 | FileCheck %s
// RUN: tp-opt %s --split-input-file --tp-outline-segments | FileCheck %s --check-prefix=SMALL

// With ops=2, the six ops of @f (constants aside) become three segments,
// each a noinline function that LLVM leaves unoptimized (optnone): values
// from before a segment are its arguments, constants are cloned in, values
// used after it are its results. The stack allocation stays in @f and ends
// the segment before it. The loop nest becomes a function of its own,
// which LLVM optimizes. A function of no more than 32 ops (the default) is
// left whole.

// SMALL-NOT: .part
// SMALL-NOT: .loop

// CHECK-LABEL: func.func @f(
// CHECK-SAME: %[[N:.*]]: index, %[[A:.*]]: memref<?xf32>)
// CHECK-NOT: scf.for
// CHECK: %[[P0:.*]] = call @f.part0(%[[N]]) : (index) -> memref<?xf32>
// CHECK-NEXT: %[[S:.*]] = memref.alloca() : memref<4xf32>
// CHECK-NEXT: call @f.part1(%[[N]], %[[A]], %[[P0]], %[[S]])
// CHECK-NEXT: call @f.part2() : () -> ()
// CHECK-NEXT: return %[[P0]]
func.func @f(%n: index, %a: memref<?xf32>) -> memref<?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1.0 : f32
  %b = memref.alloc(%n) : memref<?xf32>
  %stack = memref.alloca() : memref<4xf32>
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %a[%i] : memref<?xf32>
    %w = arith.addf %v, %one : f32
    memref.store %w, %b[%i] : memref<?xf32>
  }
  memref.store %one, %stack[%c0] : memref<4xf32>
  %t = memref.alloc() : memref<8xf32>
  memref.dealloc %t : memref<8xf32>
  return %b : memref<?xf32>
}

// CHECK: func.func private @f.part0(%{{.*}}: index) -> memref<?xf32> attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline", "optnone"]}
// CHECK-NEXT: memref.alloc
// CHECK: func.func private @f.part1(%[[N1:.*]]: index, %[[A1:.*]]: memref<?xf32>, %[[B1:.*]]: memref<?xf32>, %{{.*}}: memref<4xf32>) attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline", "optnone"]}
// CHECK: call @f.loop0(%[[N1]], %[[A1]], %[[B1]])
// CHECK: memref.store
// CHECK: func.func private @f.part2() attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline", "optnone"]}
// CHECK-NEXT: memref.alloc
// CHECK-NEXT: memref.dealloc
// CHECK: func.func private @f.loop0(%{{.*}}: index, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>) attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline"]}
// CHECK-DAG: arith.constant 0 : index
// CHECK-DAG: arith.constant 1 : index
// CHECK-DAG: arith.constant 1.000000e+00 : f32
// CHECK: scf.for

// -----

// Loop nests that are the same op for op share one function: the first
// and third loops of @h differ only in their buffers; the second adds 2,
// not 1.

// CHECK-LABEL: func.func @h(
// CHECK: call @h.loop0(
// CHECK: call @h.loop1(
// CHECK: call @h.loop0(
// CHECK-NOT: func.func private @h.loop2
func.func @h(%a: memref<8xf32>, %b: memref<8xf32>, %c: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %one = arith.constant 1.0 : f32
  %two = arith.constant 2.0 : f32
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %a[%i] : memref<8xf32>
    %w = arith.addf %v, %one : f32
    memref.store %w, %b[%i] : memref<8xf32>
  }
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %b[%i] : memref<8xf32>
    %w = arith.addf %v, %two : f32
    memref.store %w, %c[%i] : memref<8xf32>
  }
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %c[%i] : memref<8xf32>
    %w = arith.addf %v, %one : f32
    memref.store %w, %a[%i] : memref<8xf32>
  }
  return
}

// -----

// A public function with a C interface is cut into a body that takes one
// array of pointers (to the result's descriptor, then to each argument's),
// and the C interface MLIR would have made, which fills the array. Each
// segment loads the descriptors it uses from the array, so the body passes
// one pointer, not every descriptor field.

// CHECK-LABEL: func.func @g.packed(
// CHECK-SAME: %[[ARGS:.*]]: !llvm.ptr) {
// CHECK: %[[P0:.*]]:2 = call @g.part0(%[[ARGS]]) : (!llvm.ptr) -> (f32, memref<4xf32>)
// CHECK-NEXT: %[[P1:.*]] = call @g.part1(%[[P0]]#0, %[[P0]]#1, %[[ARGS]])
// CHECK-NEXT: call @g.part2(%[[P1]], %[[P0]]#1)
// CHECK-NEXT: %[[D:.*]] = builtin.unrealized_conversion_cast %[[P0]]#1 : memref<4xf32> to !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>
// CHECK-NEXT: %[[R:.*]] = llvm.getelementptr %[[ARGS]][0]
// CHECK-NEXT: %[[RP:.*]] = llvm.load %[[R]] : !llvm.ptr -> !llvm.ptr
// CHECK-NEXT: llvm.store %[[D]], %[[RP]]
// CHECK-NEXT: return
// CHECK: func.func private @g.part0(%[[Q:.*]]: !llvm.ptr)
// CHECK-NEXT: %[[S:.*]] = llvm.getelementptr %[[Q]][1]
// CHECK-NEXT: %[[SP:.*]] = llvm.load %[[S]] : !llvm.ptr -> !llvm.ptr
// CHECK-NEXT: %[[L:.*]] = llvm.load %[[SP]] : !llvm.ptr -> !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>
// CHECK-NEXT: %[[A:.*]] = builtin.unrealized_conversion_cast %[[L]] : !llvm.struct<{{.*}}> to memref<4xf32>
// CHECK-NEXT: %[[C0:.*]] = arith.constant 0 : index
// CHECK-NEXT: memref.load %[[A]][%[[C0]]]
// CHECK: func.func private @g.part1(
// CHECK: llvm.getelementptr %{{.*}}[2]
// CHECK: func.func private @g.part2(
// CHECK-NOT: llvm.load
// CHECK: return
// CHECK: func.func @_mlir_ciface_g(%[[RES:.*]]: !llvm.ptr, %[[PA:.*]]: !llvm.ptr, %[[PB:.*]]: !llvm.ptr) {
// CHECK: %[[ARRAY:.*]] = llvm.alloca %{{.*}} x !llvm.array<3 x ptr>
// CHECK: llvm.store %[[RES]]
// CHECK: llvm.store %[[PA]]
// CHECK: llvm.store %[[PB]]
// CHECK: call @g.packed(%[[ARRAY]])
// CHECK-NOT: func.func @g(
func.func @g(%a: memref<4xf32>, %b: memref<4xf32>) -> memref<4xf32>
    attributes {llvm.emit_c_interface} {
  %k = arith.constant 0 : index
  %v = memref.load %a[%k] : memref<4xf32>
  %c = memref.alloc() : memref<4xf32>
  memref.store %v, %c[%k] : memref<4xf32>
  %w = memref.load %b[%k] : memref<4xf32>
  memref.store %w, %c[%k] : memref<4xf32>
  return %c : memref<4xf32>
}

// SMALL: func.func @g(
