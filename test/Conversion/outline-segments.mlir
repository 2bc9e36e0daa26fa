// RUN: tp-opt %s --tp-outline-segments=ops=2 | FileCheck %s
// RUN: tp-opt %s --tp-outline-segments | FileCheck %s --check-prefix=SMALL

// With ops=2, the six ops of @f (constants aside) become three segments,
// each a noinline function: values from before a segment are its
// arguments, constants are cloned in, values used after it are its
// results. The stack allocation stays in @f and ends the segment before
// it. A function of no more than 32 ops (the default) is left whole.

// SMALL-NOT: .part

// CHECK: func.func @f(%[[N:.*]]: index, %[[A:.*]]: memref<?xf32>)
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

// CHECK: func.func private @f.part0(%{{.*}}: index) -> memref<?xf32> attributes {passthrough = ["noinline"]}
// CHECK-NEXT: memref.alloc
// CHECK: func.func private @f.part1(%{{.*}}: index, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<4xf32>) attributes {passthrough = ["noinline"]}
// CHECK-DAG: arith.constant 0 : index
// CHECK-DAG: arith.constant 1 : index
// CHECK-DAG: arith.constant 1.000000e+00 : f32
// CHECK: scf.for
// CHECK: memref.store
// CHECK: func.func private @f.part2() attributes {passthrough = ["noinline"]}
// CHECK-NEXT: memref.alloc
// CHECK-NEXT: memref.dealloc
