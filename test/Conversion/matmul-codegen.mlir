// The generated matmul: operands packed into k-major panels of the register
// tile's rows, fused into the K loop of the cache tiling; a register tile
// whose accumulator stays in the K loop; FMAs after lowering.
// RUN: tp-opt %s --tp-tile-matmuls=vector-lanes=16 | FileCheck %s --check-prefix=TILE16
// RUN: tp-opt %s --tp-tile-matmuls=vector-lanes=8 | FileCheck %s --check-prefix=TILE8
// A second run finds nothing left to generate and changes nothing.
// RUN: tp-opt %s --tp-tile-matmuls=vector-lanes=8 > %t.once.mlir
// RUN: tp-opt %t.once.mlir --tp-tile-matmuls=vector-lanes=8 > %t.twice.mlir
// RUN: tp-opt %t.once.mlir > %t.once.printed.mlir
// RUN: diff %t.once.printed.mlir %t.twice.mlir
// RUN: tp-opt %s --tp-tile-matmuls=vector-lanes=16 --one-shot-bufferize="bufferize-function-boundaries" --tp-lower-matmul-vectors=vector-lanes=16 | FileCheck %s --check-prefix=LOWER16
// RUN: tp-opt %s --tp-tile-matmuls=vector-lanes=8 --one-shot-bufferize="bufferize-function-boundaries" --tp-lower-matmul-vectors=vector-lanes=8 | FileCheck %s --check-prefix=LOWER8
// RUN: not tp-opt %s --tp-tile-matmuls=vector-lanes=12 2>&1 | FileCheck %s --check-prefix=LANES
// RUN: not tp-opt %s --tp-lower-matmul-vectors=vector-lanes=3 2>&1 | FileCheck %s --check-prefix=LANES3

// y = x W^T with a dynamic batch, and K and N that 16 does not divide: a
// call to the kernel of its shape, which writes into the caller's buffer.
// TILE16-LABEL: func.func @nt(
// TILE16: %[[OUT:.*]] = tensor.empty({{.*}}) : tensor<?x40xf32>
// TILE16-NOT: linalg.fill
// TILE16: call @tp_matmul(%arg0, %arg1, %[[OUT]])
// TILE16-LABEL: func.func @nt2(
// TILE16: call @tp_matmul(

// A plain matmul (W stored K x N, packed without a transpose) that
// accumulates into its init: not outlined; the init is padded into the
// packed layout.
// TILE16-LABEL: func.func @nn(
// TILE16: tensor.pad %arg2 low[0, 0] high[11, 7]
// TILE16: vector.contract {{.*}} : vector<16x1xf32>, vector<16x1xf32> into vector<16x16xf32>
// TILE16: return {{.*}} : tensor<5x9xf32>

// A fill of another value (so not outlined): the first block of K starts
// at that value, and the packed result is not filled.
// TILE16-LABEL: func.func @ones(
// TILE16: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// TILE16-NOT: linalg.fill
// TILE16: vector.broadcast %[[ONE]] : f32 to vector<16x16xf32>
// TILE16: return {{.*}} : tensor<20x40xf32>

// One kernel for both matmuls of that shape, with identity layouts, so that
// its strides are constants.
// TILE16: func.func private @tp_matmul(%arg0: tensor<?x300xf32> {bufferization.buffer_layout = affine_map<(d0, d1) -> (d0, d1)>}, %arg1: tensor<40x300xf32> {bufferization.buffer_layout = affine_map<(d0, d1) -> (d0, d1)>}, %arg2: tensor<?x40xf32> {bufferization.buffer_layout = affine_map<(d0, d1) -> (d0, d1)>}) -> tensor<?x40xf32> attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline"]}
// The packed result is not filled: its tiles' first reads, in the first
// block of K (300 steps: two blocks), are the fill's value.
// TILE16: tensor.empty({{.*}}) : tensor<?x3x16x16xf32>
// TILE16-NOT: linalg.fill
// TILE16: scf.for %[[KB:[a-z0-9]+]] = %c0 to %c300 step %c256
// The packs of x and W, per block of K, as masked 16 x 16 transposes.
// TILE16: vector.mask
// TILE16: vector.transpose {{.*}} : vector<16x16xf32> to vector<16x16xf32>
// TILE16: vector.transpose {{.*}} : vector<16x16xf32> to vector<16x16xf32>
// The microkernel: the accumulator is the K loop's iteration argument,
// and starts at zero in the first block of K.
// TILE16: %[[FIRST:.*]] = arith.cmpi eq, %[[KB]], %c0
// TILE16: scf.if %[[FIRST]] -> (vector<16x16xf32>)
// TILE16: vector.broadcast %{{.*}} : f32 to vector<16x16xf32>
// TILE16: } else {
// TILE16: vector.transfer_read {{.*}} : tensor<1x1x16x16xf32>, vector<16x16xf32>
// TILE16: scf.for {{.*}} iter_args({{.*}}) -> (vector<16x16xf32>)
// TILE16: vector.transfer_read {{.*}} vector<16x1xf32>
// TILE16: vector.transfer_read {{.*}} vector<16x1xf32>
// TILE16: vector.contract {{.*}} : vector<16x1xf32>, vector<16x1xf32> into vector<16x16xf32>
// The unpack of the result: 16 x 16 tiles of y, each a row-major block of
// the packed result. The loops' last, partial steps are peeled off (M
// dynamic, N = 40): whole tiles are written without a mask, the edges
// (the last 8 columns, the last rows) under one.
// TILE16: scf.for {{.*}} step %c16
// TILE16: scf.for {{.*}} = %c0 to %c32 step %c16
// TILE16: vector.transfer_read {{.*}} : tensor<1x1x16x16xf32>, vector<16x16xf32>
// TILE16-NEXT: vector.transfer_write {{.*}} : vector<16x16xf32>, tensor<16x16xf32>
// TILE16: scf.for {{.*}} = %c32 to %c40 step %c16
// TILE16: vector.mask {{.*}} vector.transfer_write {{.*}} : vector<16x16xf32>, tensor<16x?xf32>
// TILE16: scf.for {{.*}} step %c16
// TILE16: scf.for {{.*}} = %c0 to %c32 step %c16
// TILE16: vector.mask {{.*}} vector.transfer_write {{.*}} : vector<16x16xf32>, tensor<?x16xf32>
// TILE16: scf.for {{.*}} = %c32 to %c40 step %c16
// TILE16: vector.mask {{.*}} vector.transfer_write {{.*}} : vector<16x16xf32>, tensor<?x?xf32>
// TILE16-NOT: linalg.transpose
// TILE16-NOT: func.func private @tp_matmul
// TILE16-NOT: linalg.matmul
// TILE16-NOT: linalg.pack
// TILE16-NOT: linalg.unpack

// With 16 registers (AVX2), a 6 x 16 tile: panels of 6 rows of x and of
// 16 rows of W, each packed in blocks of 8 steps of K.
// TILE8: func.func private @tp_matmul(
// TILE8: tensor.empty({{.*}}) : tensor<?x3x6x16xf32>
// TILE8: vector.transpose {{.*}} : vector<6x8xf32> to vector<8x6xf32>
// TILE8: vector.transpose {{.*}} : vector<16x8xf32> to vector<8x16xf32>
// TILE8: vector.contract {{.*}} : vector<6x1xf32>, vector<16x1xf32> into vector<6x16xf32>

// After bufferization: each register tile's rows are prefetched for
// writing, its loop over K starts from zeros and broadcasts each element
// of x's panel from a scalar load, and the tile's previous value is added
// after the loop.
// LOWER16: func.func private @tp_matmul(
// LOWER16-COUNT-16: memref.prefetch {{.*}} write, locality<3>, data
// LOWER16: scf.for {{.*}} -> (vector<16x16xf32>)
// LOWER16: memref.load {{.*}} : memref<{{.*}}x1xf32>
// LOWER16: vector.broadcast {{.*}} : f32 to vector<16xf32>
// LOWER16-COUNT-16: vector.fma {{.*}} : vector<16xf32>
// LOWER16: arith.addf {{.*}} : vector<16x16xf32>
// LOWER16-NOT: vector.contract
// LOWER16-NOT: vector.transpose
// LOWER8: func.func private @tp_matmul(
// LOWER8-COUNT-6: memref.prefetch {{.*}} write, locality<3>, data
// LOWER8: scf.for {{.*}} -> (vector<6x16xf32>)
// LOWER8: memref.load {{.*}} : memref<{{.*}}x1xf32>
// LOWER8: vector.broadcast {{.*}} : f32 to vector<16xf32>
// LOWER8-COUNT-6: vector.fma {{.*}} : vector<16xf32>
// LOWER8: arith.addf {{.*}} : vector<6x16xf32>
// LOWER8-NOT: vector.contract
// LOWER8-NOT: vector.transpose

// LANES: error: vector-lanes must be 0 (the host's), 4, 8 or 16, not 12
// LANES3: error: vector-lanes must be 0 (the host's), 4, 8 or 16, not 3
func.func @nt(%x: tensor<?x300xf32>, %w: tensor<40x300xf32>) -> tensor<?x40xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %m = tensor.dim %x, %c0 : tensor<?x300xf32>
  %e = tensor.empty(%m) : tensor<?x40xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<?x40xf32>) -> tensor<?x40xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
         ins(%x, %w : tensor<?x300xf32>, tensor<40x300xf32>) outs(%init : tensor<?x40xf32>) -> tensor<?x40xf32>
  return %y : tensor<?x40xf32>
}

func.func @nt2(%x: tensor<?x300xf32>, %w: tensor<40x300xf32>) -> tensor<?x40xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %m = tensor.dim %x, %c0 : tensor<?x300xf32>
  %e = tensor.empty(%m) : tensor<?x40xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<?x40xf32>) -> tensor<?x40xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
         ins(%x, %w : tensor<?x300xf32>, tensor<40x300xf32>) outs(%init : tensor<?x40xf32>) -> tensor<?x40xf32>
  return %y : tensor<?x40xf32>
}

func.func @nn(%x: tensor<5x20xf32>, %w: tensor<20x9xf32>, %acc: tensor<5x9xf32>) -> tensor<5x9xf32> {
  %y = linalg.matmul ins(%x, %w : tensor<5x20xf32>, tensor<20x9xf32>) outs(%acc : tensor<5x9xf32>) -> tensor<5x9xf32>
  return %y : tensor<5x9xf32>
}

func.func @ones(%x: tensor<20x300xf32>, %w: tensor<40x300xf32>) -> tensor<20x40xf32> {
  %one = arith.constant 1.0 : f32
  %e = tensor.empty() : tensor<20x40xf32>
  %init = linalg.fill ins(%one : f32) outs(%e : tensor<20x40xf32>) -> tensor<20x40xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
         ins(%x, %w : tensor<20x300xf32>, tensor<40x300xf32>) outs(%init : tensor<20x40xf32>) -> tensor<20x40xf32>
  return %y : tensor<20x40xf32>
}
