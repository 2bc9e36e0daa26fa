// tp-lower-matmul-vectors starts a register tile's loop over K from zeros,
// prefetches the tile's rows for writing before it, and adds the tile's
// previous value after it. Only an additive float contraction whose loop
// and init write no memory, with nothing between them that does, and
// whose accumulator feeds the contraction alone, qualifies.
// RUN: tp-opt %s --tp-lower-matmul-vectors=vector-lanes=8 | FileCheck %s

// CHECK-LABEL: func.func @deferred(
// CHECK: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<6x16xf32>
// CHECK-COUNT-6: memref.prefetch %arg0[%{{.*}}, %{{.*}}], write, locality<3>, data
// CHECK: %[[SUM:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[ZERO]]) -> (vector<6x16xf32>)
// CHECK-COUNT-6: vector.fma
// CHECK: }
// CHECK-COUNT-6: vector.load %arg0
// CHECK: arith.addf %[[SUM]], %{{.*}} : vector<6x16xf32>
// CHECK: return

// A maximum is not a sum: its loop starts from the tile.
// CHECK-LABEL: func.func @maximum(
// CHECK-NOT: memref.prefetch
// CHECK-COUNT-6: vector.load %arg0
// CHECK: scf.for
// CHECK: arith.maxnumf
// CHECK: return

// A loop that writes memory keeps the tile's read before it.
// CHECK-LABEL: func.func @writes(
// CHECK-NOT: memref.prefetch
// CHECK-COUNT-6: vector.load %arg0
// CHECK: scf.for
// CHECK: memref.store
// CHECK: return

// A store between the tile's read and its loop keeps the read first.
// CHECK-LABEL: func.func @between(
// CHECK-NOT: memref.prefetch
// CHECK-COUNT-6: vector.load %arg0
// CHECK: memref.store
// CHECK: scf.for

// The accumulator read by more than the contraction keeps its value.
// CHECK-LABEL: func.func @accuse(
// CHECK-NOT: memref.prefetch
// CHECK-COUNT-6: vector.load %arg0
// CHECK: scf.for

// Elements of a vector read become scalar loads only where no write comes
// between the read and them.
// CHECK-LABEL: func.func @order(
// CHECK: vector.load %arg0
// CHECK: memref.store
// CHECK-NOT: memref.load
// CHECK: return

#lhs = affine_map<(m, n, k) -> (m, k)>
#rhs = affine_map<(m, n, k) -> (n, k)>
#out = affine_map<(m, n, k) -> (m, n)>

func.func @deferred(%c: memref<6x16xf32>, %x: memref<256x6x1xf32>, %w: memref<256x16x1xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %p = arith.constant 0.0 : f32
  %init = vector.transfer_read %c[%c0, %c0], %p {in_bounds = [true, true]} : memref<6x16xf32>, vector<6x16xf32>
  %r = scf.for %k = %c0 to %c256 step %c1 iter_args(%acc = %init) -> vector<6x16xf32> {
    %xa = vector.transfer_read %x[%k, %c0, %c0], %p {in_bounds = [true, true]} : memref<256x6x1xf32>, vector<6x1xf32>
    %wb = vector.transfer_read %w[%k, %c0, %c0], %p {in_bounds = [true, true]} : memref<256x16x1xf32>, vector<16x1xf32>
    %o = vector.contract {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %xa, %wb, %acc : vector<6x1xf32>, vector<16x1xf32> into vector<6x16xf32>
    scf.yield %o : vector<6x16xf32>
  }
  vector.transfer_write %r, %c[%c0, %c0] {in_bounds = [true, true]} : vector<6x16xf32>, memref<6x16xf32>
  return
}

func.func @maximum(%c: memref<6x16xf32>, %x: memref<256x6x1xf32>, %w: memref<256x16x1xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %p = arith.constant 0.0 : f32
  %init = vector.transfer_read %c[%c0, %c0], %p {in_bounds = [true, true]} : memref<6x16xf32>, vector<6x16xf32>
  %r = scf.for %k = %c0 to %c256 step %c1 iter_args(%acc = %init) -> vector<6x16xf32> {
    %xa = vector.transfer_read %x[%k, %c0, %c0], %p {in_bounds = [true, true]} : memref<256x6x1xf32>, vector<6x1xf32>
    %wb = vector.transfer_read %w[%k, %c0, %c0], %p {in_bounds = [true, true]} : memref<256x16x1xf32>, vector<16x1xf32>
    %o = vector.contract {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<maxnumf>} %xa, %wb, %acc : vector<6x1xf32>, vector<16x1xf32> into vector<6x16xf32>
    scf.yield %o : vector<6x16xf32>
  }
  vector.transfer_write %r, %c[%c0, %c0] {in_bounds = [true, true]} : vector<6x16xf32>, memref<6x16xf32>
  return
}

func.func @writes(%c: memref<6x16xf32>, %x: memref<256x6x1xf32>, %w: memref<256x16x1xf32>, %log: memref<256xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %p = arith.constant 0.0 : f32
  %init = vector.transfer_read %c[%c0, %c0], %p {in_bounds = [true, true]} : memref<6x16xf32>, vector<6x16xf32>
  %r = scf.for %k = %c0 to %c256 step %c1 iter_args(%acc = %init) -> vector<6x16xf32> {
    %xa = vector.transfer_read %x[%k, %c0, %c0], %p {in_bounds = [true, true]} : memref<256x6x1xf32>, vector<6x1xf32>
    %wb = vector.transfer_read %w[%k, %c0, %c0], %p {in_bounds = [true, true]} : memref<256x16x1xf32>, vector<16x1xf32>
    %o = vector.contract {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %xa, %wb, %acc : vector<6x1xf32>, vector<16x1xf32> into vector<6x16xf32>
    memref.store %p, %log[%k] : memref<256xf32>
    scf.yield %o : vector<6x16xf32>
  }
  vector.transfer_write %r, %c[%c0, %c0] {in_bounds = [true, true]} : vector<6x16xf32>, memref<6x16xf32>
  return
}

func.func @between(%c: memref<6x16xf32>, %x: memref<256x6x1xf32>, %w: memref<256x16x1xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %p = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %init = vector.transfer_read %c[%c0, %c0], %p {in_bounds = [true, true]} : memref<6x16xf32>, vector<6x16xf32>
  memref.store %one, %c[%c0, %c0] : memref<6x16xf32>
  %r = scf.for %k = %c0 to %c256 step %c1 iter_args(%acc = %init) -> vector<6x16xf32> {
    %xa = vector.transfer_read %x[%k, %c0, %c0], %p {in_bounds = [true, true]} : memref<256x6x1xf32>, vector<6x1xf32>
    %wb = vector.transfer_read %w[%k, %c0, %c0], %p {in_bounds = [true, true]} : memref<256x16x1xf32>, vector<16x1xf32>
    %o = vector.contract {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %xa, %wb, %acc : vector<6x1xf32>, vector<16x1xf32> into vector<6x16xf32>
    scf.yield %o : vector<6x16xf32>
  }
  vector.transfer_write %r, %c[%c0, %c0] {in_bounds = [true, true]} : vector<6x16xf32>, memref<6x16xf32>
  return
}

func.func @accuse(%c: memref<6x16xf32>, %x: memref<256x6x1xf32>, %w: memref<256x16x1xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %p = arith.constant 0.0 : f32
  %init = vector.transfer_read %c[%c0, %c0], %p {in_bounds = [true, true]} : memref<6x16xf32>, vector<6x16xf32>
  %r = scf.for %k = %c0 to %c256 step %c1 iter_args(%acc = %init) -> vector<6x16xf32> {
    %wb = vector.transfer_read %w[%k, %c0, %c0], %p {in_bounds = [true, true]} : memref<256x16x1xf32>, vector<16x1xf32>
    %xa = vector.extract_strided_slice %acc {offsets = [0, 0], sizes = [6, 1], strides = [1, 1]} : vector<6x16xf32> to vector<6x1xf32>
    %o = vector.contract {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %xa, %wb, %acc : vector<6x1xf32>, vector<16x1xf32> into vector<6x16xf32>
    scf.yield %o : vector<6x16xf32>
  }
  vector.transfer_write %r, %c[%c0, %c0] {in_bounds = [true, true]} : vector<6x16xf32>, memref<6x16xf32>
  return
}

func.func @order(%m: memref<8xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %p = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %v = vector.transfer_read %m[%c0], %p {in_bounds = [true]} : memref<8xf32>, vector<8xf32>
  memref.store %one, %m[%c0] : memref<8xf32>
  %e = vector.extract %v[0] : f32 from vector<8xf32>
  return %e : f32
}
