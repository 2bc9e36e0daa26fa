// RUN: tp-opt %s --split-input-file --tp-outline-segments=ops=2 | FileCheck %s
// RUN: tp-opt %s --split-input-file --tp-outline-segments | FileCheck %s --check-prefix=SMALL
// RUN: tp-opt %s --split-input-file --tp-outline-segments="ops=4 roll-ops=4" | FileCheck %s --check-prefix=ROLL
// RUN: tp-opt %s --split-input-file --tp-outline-segments="ops=4 roll-ops=0" | FileCheck %s --check-prefix=NOROLL
// RUN: not tp-opt %s --split-input-file --tp-outline-segments=ops=0 2>&1 | FileCheck %s --check-prefix=OPS
// RUN: not tp-opt %s --split-input-file --tp-outline-segments=roll-ops=-1 2>&1 | FileCheck %s --check-prefix=ROLLNEG
// OPS: error: tp-outline-segments: ops must be at least 1 and roll-ops at least 0 (0: never roll), got ops=0 roll-ops=128
// ROLLNEG: error: tp-outline-segments: ops must be at least 1 and roll-ops at least 0 (0: never roll), got ops=32 roll-ops=-1

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

// -----

// ROLL-LABEL: func.func @r.packed(
// ROLL-SAME: %[[ARGS:.*]]: !llvm.ptr)

// Layers 1 to 3 repeat (alloc, call, dealloc) with the next weight and
// the next id: the first repetition stays, a loop runs the other two,
// passing the activation on, and its result is what the chain returns.

// The body: each layer's weight from args[4 + (i - 1)], its id 2 + (i - 1).
// ROLL: func.func private @r.rep0(%[[IV:.*]]: index, %[[P:.*]]: !llvm.ptr, %[[IN:.*]]: memref<4xf32>) -> memref<4xf32> attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline", "optnone"]}
// ROLL: %[[OUT:.*]] = memref.alloc() : memref<4xf32>
// ROLL-NEXT: %[[K:.*]] = arith.subi %[[IV]], %{{.*}} : index
// ROLL: %[[C4:.*]] = arith.constant 4 : index
// ROLL-NEXT: %[[SLOT:.*]] = arith.addi %{{.*}}, %[[C4]] : index
// ROLL-NEXT: %[[SLOT64:.*]] = arith.index_cast %[[SLOT]] : index to i64
// ROLL-NEXT: llvm.getelementptr %[[P]][%[[SLOT64]]] : (!llvm.ptr, i64) -> !llvm.ptr, !llvm.ptr
// ROLL: %[[C2:.*]] = arith.constant 2 : index
// ROLL-NEXT: %[[ID:.*]] = arith.addi %{{.*}}, %[[C2]] : index
// ROLL-NEXT: %[[ID64:.*]] = arith.index_cast %[[ID]] : index to i64
// ROLL-NEXT: call @layer(%[[IN]], %{{.*}}, %[[OUT]], %[[ID64]])
// ROLL-NEXT: memref.dealloc %[[IN]]
// ROLL-NEXT: return %[[OUT]]
// ... and the loop that calls it, in a segment.
// ROLL: scf.for %[[I:.*]] = %c1 to %c3 step %c1 iter_args(%[[A:.*]] = %{{.*}}) -> (memref<4xf32>) {
// ROLL-NEXT: %[[NEXT:.*]] = func.call @r.rep0(%[[I]], %{{.*}}, %[[A]])
// ROLL-NEXT: scf.yield %[[NEXT]] : memref<4xf32>

// NOROLL-LABEL: func.func @r.packed(
// NOROLL-NOT: scf.for
// NOROLL-NOT: @r.rep0
func.func private @layer(memref<4xf32>, memref<4xf32>, memref<4xf32>, i64)
func.func @r(%x: memref<4xf32>, %w0: memref<4xf32>, %w1: memref<4xf32>,
             %w2: memref<4xf32>, %w3: memref<4xf32>) -> memref<4xf32>
    attributes {llvm.emit_c_interface} {
  %c0 = arith.constant 0 : i64
  %c1 = arith.constant 1 : i64
  %c2 = arith.constant 2 : i64
  %c3 = arith.constant 3 : i64
  %a0 = memref.alloc() : memref<4xf32>
  call @layer(%x, %w0, %a0, %c0) : (memref<4xf32>, memref<4xf32>, memref<4xf32>, i64) -> ()
  %a1 = memref.alloc() : memref<4xf32>
  call @layer(%a0, %w1, %a1, %c1) : (memref<4xf32>, memref<4xf32>, memref<4xf32>, i64) -> ()
  memref.dealloc %a0 : memref<4xf32>
  %a2 = memref.alloc() : memref<4xf32>
  call @layer(%a1, %w2, %a2, %c2) : (memref<4xf32>, memref<4xf32>, memref<4xf32>, i64) -> ()
  memref.dealloc %a1 : memref<4xf32>
  %a3 = memref.alloc() : memref<4xf32>
  call @layer(%a2, %w3, %a3, %c3) : (memref<4xf32>, memref<4xf32>, memref<4xf32>, i64) -> ()
  memref.dealloc %a2 : memref<4xf32>
  return %a3 : memref<4xf32>
}

// -----

// Layers 1 to 4 repeat, but a statistic of layer 3 is used after them:
// the loop stops at layer 3 and passes that statistic out; layer 4 stays.
// ROLL-LABEL: func.func @s.packed(
// ROLL: %[[P1:.*]]:2 = call @s.part1(
// ROLL-NEXT: %[[P2:.*]] = call @s.part2(%[[P1]]#0,
// ROLL-NEXT: call @s.part3(%[[P1]]#1, %[[P2]],
// ROLL: func.func private @s.part1(
// ROLL: %[[LOOP:.*]]:2 = scf.for %{{.*}} = %c1 to %c3 step %c1 iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (memref<4xf32>, f32)
// ROLL-NEXT: func.call @s.rep0(
// ROLL: return %[[LOOP]]#0, %[[LOOP]]#1
// ROLL: func.func private @s.part2(
// ROLL: call @layer2(
// ROLL: func.func private @s.part3(%[[S:.*]]: f32,
// ROLL: call @sink(%[[S]])
func.func private @layer2(memref<4xf32>, memref<4xf32>, memref<4xf32>)
func.func private @stat(memref<4xf32>) -> f32
func.func private @sink(f32)
func.func @s(%x: memref<4xf32>, %w0: memref<4xf32>, %w1: memref<4xf32>,
             %w2: memref<4xf32>, %w3: memref<4xf32>, %w4: memref<4xf32>)
    -> memref<4xf32> attributes {llvm.emit_c_interface} {
  %a0 = memref.alloc() : memref<4xf32>
  call @layer2(%x, %w0, %a0) : (memref<4xf32>, memref<4xf32>, memref<4xf32>) -> ()
  %s0 = call @stat(%a0) : (memref<4xf32>) -> f32
  %a1 = memref.alloc() : memref<4xf32>
  call @layer2(%a0, %w1, %a1) : (memref<4xf32>, memref<4xf32>, memref<4xf32>) -> ()
  %s1 = call @stat(%a1) : (memref<4xf32>) -> f32
  memref.dealloc %a0 : memref<4xf32>
  %a2 = memref.alloc() : memref<4xf32>
  call @layer2(%a1, %w2, %a2) : (memref<4xf32>, memref<4xf32>, memref<4xf32>) -> ()
  %s2 = call @stat(%a2) : (memref<4xf32>) -> f32
  memref.dealloc %a1 : memref<4xf32>
  %a3 = memref.alloc() : memref<4xf32>
  call @layer2(%a2, %w3, %a3) : (memref<4xf32>, memref<4xf32>, memref<4xf32>) -> ()
  %s3 = call @stat(%a3) : (memref<4xf32>) -> f32
  memref.dealloc %a2 : memref<4xf32>
  %a4 = memref.alloc() : memref<4xf32>
  call @layer2(%a3, %w4, %a4) : (memref<4xf32>, memref<4xf32>, memref<4xf32>) -> ()
  %s4 = call @stat(%a4) : (memref<4xf32>) -> f32
  memref.dealloc %a3 : memref<4xf32>
  call @sink(%s3) : (f32) -> ()
  return %a4 : memref<4xf32>
}

// -----

// Layers 1 to 3 use weights w1, w2 and w1 again: the loop covers layers
// 1 and 2 (slots 3 and 4: the weight's stride is learnt from layers 1
// and 2); layer 3, after the loop, loads slot 3.
// ROLL-LABEL: func.func @t.packed(
// ROLL: func.func private @t.rep0(
// ROLL: arith.constant 3 : index
// ROLL: scf.for %{{.*}} = %c1 to %c3 step %c1
// ROLL: func.func private @t.part1(
// ROLL-NEXT: llvm.getelementptr %{{.*}}[3]
// ROLL: // -----
func.func private @layer(memref<4xf32>, memref<4xf32>, memref<4xf32>)
func.func @t(%x: memref<4xf32>, %w0: memref<4xf32>, %w1: memref<4xf32>,
             %w2: memref<4xf32>, %w3: memref<4xf32>) -> memref<4xf32>
    attributes {llvm.emit_c_interface} {
  %a0 = memref.alloc() : memref<4xf32>
  call @layer(%x, %w0, %a0) : (memref<4xf32>, memref<4xf32>, memref<4xf32>) -> ()
  %a1 = memref.alloc() : memref<4xf32>
  call @layer(%a0, %w1, %a1) : (memref<4xf32>, memref<4xf32>, memref<4xf32>) -> ()
  %a2 = memref.alloc() : memref<4xf32>
  call @layer(%a1, %w2, %a2) : (memref<4xf32>, memref<4xf32>, memref<4xf32>) -> ()
  %a3 = memref.alloc() : memref<4xf32>
  call @layer(%a2, %w1, %a3) : (memref<4xf32>, memref<4xf32>, memref<4xf32>) -> ()
  return %a3 : memref<4xf32>
}

// -----

// Later layers use the second layer's own output, not their own: no loop.
// ROLL-LABEL: func.func @o.packed(
// ROLL-NOT: scf.for
// ROLL: // -----
func.func private @layer(memref<4xf32>, memref<4xf32>)
func.func private @mix(memref<4xf32>, memref<4xf32>)
func.func @o(%x: memref<4xf32>) -> memref<4xf32> attributes {llvm.emit_c_interface} {
  %a0 = memref.alloc() : memref<4xf32>
  call @layer(%x, %a0) : (memref<4xf32>, memref<4xf32>) -> ()
  call @mix(%a0, %x) : (memref<4xf32>, memref<4xf32>) -> ()
  %a1 = memref.alloc() : memref<4xf32>
  call @layer(%a0, %a1) : (memref<4xf32>, memref<4xf32>) -> ()
  call @mix(%a1, %a1) : (memref<4xf32>, memref<4xf32>) -> ()
  %a2 = memref.alloc() : memref<4xf32>
  call @layer(%a1, %a2) : (memref<4xf32>, memref<4xf32>) -> ()
  call @mix(%a2, %a1) : (memref<4xf32>, memref<4xf32>) -> ()
  %a3 = memref.alloc() : memref<4xf32>
  call @layer(%a2, %a3) : (memref<4xf32>, memref<4xf32>) -> ()
  call @mix(%a3, %a1) : (memref<4xf32>, memref<4xf32>) -> ()
  return %a3 : memref<4xf32>
}

// -----

// Later layers use the first layer's output, not the previous one's: no loop.
// ROLL-LABEL: func.func @s2.packed(
// ROLL-NOT: scf.for
// ROLL: // -----
func.func private @layer(memref<4xf32>, memref<4xf32>, memref<4xf32>)
func.func @s2(%x: memref<4xf32>) -> memref<4xf32> attributes {llvm.emit_c_interface} {
  %a0 = memref.alloc() : memref<4xf32>
  call @layer(%x, %x, %a0) : (memref<4xf32>, memref<4xf32>, memref<4xf32>) -> ()
  %a1 = memref.alloc() : memref<4xf32>
  call @layer(%a0, %a0, %a1) : (memref<4xf32>, memref<4xf32>, memref<4xf32>) -> ()
  %a2 = memref.alloc() : memref<4xf32>
  call @layer(%a1, %a0, %a2) : (memref<4xf32>, memref<4xf32>, memref<4xf32>) -> ()
  %a3 = memref.alloc() : memref<4xf32>
  call @layer(%a2, %a0, %a3) : (memref<4xf32>, memref<4xf32>, memref<4xf32>) -> ()
  return %a3 : memref<4xf32>
}

// -----

// Each layer passes a stack allocation to the next: no loop.
// ROLL-LABEL: func.func @a.packed(
// ROLL-NOT: scf.for
// ROLL: // -----
func.func private @layer(memref<4xf32>, memref<4xf32>)
func.func @a(%x: memref<4xf32>) -> memref<4xf32> attributes {llvm.emit_c_interface} {
  %a0 = memref.alloca() : memref<4xf32>
  call @layer(%x, %a0) : (memref<4xf32>, memref<4xf32>) -> ()
  %a1 = memref.alloca() : memref<4xf32>
  call @layer(%a0, %a1) : (memref<4xf32>, memref<4xf32>) -> ()
  %a2 = memref.alloca() : memref<4xf32>
  call @layer(%a1, %a2) : (memref<4xf32>, memref<4xf32>) -> ()
  %a3 = memref.alloca() : memref<4xf32>
  call @layer(%a2, %a3) : (memref<4xf32>, memref<4xf32>) -> ()
  %r = memref.alloc() : memref<4xf32>
  memref.copy %a3, %r : memref<4xf32> to memref<4xf32>
  return %r : memref<4xf32>
}

// -----

// The ids are 128-bit constants: no loop.
// ROLL-LABEL: func.func @w.packed(
// ROLL-NOT: scf.for
// ROLL: // -----
func.func private @layer(memref<4xf32>, memref<4xf32>, i128)
func.func @w(%x: memref<4xf32>) -> memref<4xf32> attributes {llvm.emit_c_interface} {
  %c0 = arith.constant 18446744073709551616 : i128
  %c1 = arith.constant 18446744073709551617 : i128
  %c2 = arith.constant 18446744073709551618 : i128
  %c3 = arith.constant 18446744073709551619 : i128
  %a0 = memref.alloc() : memref<4xf32>
  call @layer(%x, %a0, %c0) : (memref<4xf32>, memref<4xf32>, i128) -> ()
  %a1 = memref.alloc() : memref<4xf32>
  call @layer(%a0, %a1, %c1) : (memref<4xf32>, memref<4xf32>, i128) -> ()
  %a2 = memref.alloc() : memref<4xf32>
  call @layer(%a1, %a2, %c2) : (memref<4xf32>, memref<4xf32>, i128) -> ()
  %a3 = memref.alloc() : memref<4xf32>
  call @layer(%a2, %a3, %c3) : (memref<4xf32>, memref<4xf32>, i128) -> ()
  return %a3 : memref<4xf32>
}

// -----

// Layers 3 and 4 use the second layer's output, which is used after them too: no loop.
// ROLL-LABEL: func.func @d.packed(
// ROLL-NOT: scf.for
// ROLL: // -----
func.func private @layer(memref<4xf32>, memref<4xf32>)
func.func private @mix(memref<4xf32>, memref<4xf32>) -> f32
func.func private @sink(f32)
func.func @d(%x: memref<4xf32>) -> memref<4xf32> attributes {llvm.emit_c_interface} {
  %a0 = memref.alloc() : memref<4xf32>
  call @layer(%x, %a0) : (memref<4xf32>, memref<4xf32>) -> ()
  %s0 = call @mix(%a0, %x) : (memref<4xf32>, memref<4xf32>) -> f32
  %a1 = memref.alloc() : memref<4xf32>
  call @layer(%a0, %a1) : (memref<4xf32>, memref<4xf32>) -> ()
  %s1 = call @mix(%a1, %a1) : (memref<4xf32>, memref<4xf32>) -> f32
  %a2 = memref.alloc() : memref<4xf32>
  call @layer(%a1, %a2) : (memref<4xf32>, memref<4xf32>) -> ()
  %s2 = call @mix(%a2, %a1) : (memref<4xf32>, memref<4xf32>) -> f32
  %a3 = memref.alloc() : memref<4xf32>
  call @layer(%a2, %a3) : (memref<4xf32>, memref<4xf32>) -> ()
  %s3 = call @mix(%a3, %a1) : (memref<4xf32>, memref<4xf32>) -> f32
  %a4 = memref.alloc() : memref<4xf32>
  call @layer(%a3, %a4) : (memref<4xf32>, memref<4xf32>) -> ()
  %s4 = call @mix(%a4, %a1) : (memref<4xf32>, memref<4xf32>) -> f32
  call @sink(%s2) : (f32) -> ()
  return %a4 : memref<4xf32>
}

// -----

// The ids step from -2^63 to 1: a step that overflows 64 bits is no
// progression, so no loop.
// ROLL-LABEL: func.func @v.packed(
// ROLL-NOT: scf.for
// ROLL: // -----
func.func private @tick(memref<4xf32>, memref<4xf32>, i64)
func.func @v(%x: memref<4xf32>) -> memref<4xf32> attributes {llvm.emit_c_interface} {
  %c0 = arith.constant 5 : i64
  %c1 = arith.constant -9223372036854775808 : i64
  %c2 = arith.constant 1 : i64
  %c3 = arith.constant 2 : i64
  %a0 = memref.alloc() : memref<4xf32>
  call @tick(%x, %a0, %c0) : (memref<4xf32>, memref<4xf32>, i64) -> ()
  %a1 = memref.alloc() : memref<4xf32>
  call @tick(%a0, %a1, %c1) : (memref<4xf32>, memref<4xf32>, i64) -> ()
  %a2 = memref.alloc() : memref<4xf32>
  call @tick(%a1, %a2, %c2) : (memref<4xf32>, memref<4xf32>, i64) -> ()
  %a3 = memref.alloc() : memref<4xf32>
  call @tick(%a2, %a3, %c3) : (memref<4xf32>, memref<4xf32>, i64) -> ()
  return %a3 : memref<4xf32>
}

// -----

// The id advances, the flag (the same constant as the second id) does
// not: the body computes one and keeps the other.
// ROLL-LABEL: func.func private @k.rep0(
// ROLL: %[[ID:.*]] = arith.index_cast %{{.*}} : index to i64
// ROLL-NEXT: call @layer(%{{.*}}, %{{.*}}, %[[ID]], %c1_i64)
func.func private @layer(memref<4xf32>, memref<4xf32>, i64, i64)
func.func @k(%x: memref<4xf32>) -> memref<4xf32> attributes {llvm.emit_c_interface} {
  %c0 = arith.constant 0 : i64
  %c1 = arith.constant 1 : i64
  %c2 = arith.constant 2 : i64
  %c3 = arith.constant 3 : i64
  %a0 = memref.alloc() : memref<4xf32>
  call @layer(%x, %a0, %c0, %c1) : (memref<4xf32>, memref<4xf32>, i64, i64) -> ()
  %a1 = memref.alloc() : memref<4xf32>
  call @layer(%a0, %a1, %c1, %c1) : (memref<4xf32>, memref<4xf32>, i64, i64) -> ()
  %a2 = memref.alloc() : memref<4xf32>
  call @layer(%a1, %a2, %c2, %c1) : (memref<4xf32>, memref<4xf32>, i64, i64) -> ()
  %a3 = memref.alloc() : memref<4xf32>
  call @layer(%a2, %a3, %c3, %c1) : (memref<4xf32>, memref<4xf32>, i64, i64) -> ()
  return %a3 : memref<4xf32>
}
