//===- GPUMatmulCodegen.cpp - a tiled shared-memory matmul kernel ---------===//
//
// C += A B^T as one gpu.launch: block (i, j) computes the kTile x kTile tile
// of C at rows i*kTile and columns j*kTile, one element per thread. Over K,
// in steps of kTile, the block's threads stage a tile of A and a tile of B
// in workgroup memory (each thread one element of each, zero past the edge
// of the operands, so no thread branches in the inner loop), synchronize,
// and accumulate from them. Blocks run along x over the rows of C (the
// batch, which may be large) and along y over its columns.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Builders.h"

namespace mlir::tp {
#define GEN_PASS_DEF_GPUMATMULCODEGEN
#include "tp-mlir/Conversion/Passes.h.inc"
} // namespace mlir::tp

using namespace mlir;
using namespace mlir::tp;

namespace {
constexpr int64_t kTile = 16;

/// Emits the kernel that replaces `op` (C = op's init, A and B its inputs).
void buildTiledMatmul(OpBuilder &b, linalg::MatmulOp op) {
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  Value a = op.getDpsInputOperand(0)->get();
  Value bt = op.getDpsInputOperand(1)->get();
  Value c = op.getDpsInitOperand(0)->get();
  auto index = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  Value zeroIndex = index(0), one = index(1), tile = index(kTile);
  Value m = memref::DimOp::create(b, loc, a, 0);
  Value k = memref::DimOp::create(b, loc, a, 1);
  Value n = memref::DimOp::create(b, loc, bt, 0);
  auto ceilDiv = [&](Value v) -> Value {
    return arith::CeilDivUIOp::create(b, loc, v, tile);
  };

  Type f32 = b.getF32Type();
  auto workgroup =
      gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  // B's tile is read along its rows by consecutive threads: one padding
  // column keeps them in different shared-memory banks.
  auto aTileType = MemRefType::get({kTile, kTile}, f32,
                                   MemRefLayoutAttrInterface(), workgroup);
  auto bTileType = MemRefType::get({kTile, kTile + 1}, f32,
                                   MemRefLayoutAttrInterface(), workgroup);
  auto launch = gpu::LaunchOp::create(
      b, loc, ceilDiv(m), ceilDiv(n), one, tile, tile, one,
      /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
      /*asyncDependencies=*/{}, TypeRange{aTileType, bTileType});

  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&launch.getBody().front());
  Value aTile = launch.getWorkgroupAttributions()[0];
  Value bTile = launch.getWorkgroupAttributions()[1];
  Value tx = launch.getThreadIds().x, ty = launch.getThreadIds().y;
  Value row = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, launch.getBlockIds().x, tile), ty);
  Value colBase = arith::MulIOp::create(b, loc, launch.getBlockIds().y, tile);
  Value col = arith::AddIOp::create(b, loc, colBase, tx);
  // The row of B (a column of C) this thread stages.
  Value bRow = arith::AddIOp::create(b, loc, colBase, ty);
  Value zero = arith::ConstantOp::create(b, loc, b.getFloatAttr(f32, 0.0));
  auto less = [&](Value x, Value y) -> Value {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, y);
  };
  /// source[r, kk] when both are in range, else 0.
  auto loadOrZero = [&](Value source, Value r, Value rows, Value kk) -> Value {
    Value inRange = arith::AndIOp::create(b, loc, less(r, rows), less(kk, k));
    auto ifOp = scf::IfOp::create(
        b, loc, inRange,
        [&](OpBuilder &nb, Location nloc) {
          Value v = memref::LoadOp::create(nb, nloc, source, ValueRange{r, kk});
          scf::YieldOp::create(nb, nloc, v);
        },
        [&](OpBuilder &nb, Location nloc) {
          scf::YieldOp::create(nb, nloc, zero);
        });
    return ifOp.getResult(0);
  };

  auto outer = scf::ForOp::create(
      b, loc, zeroIndex, k, tile, ValueRange{zero},
      [&](OpBuilder &nb, Location nloc, Value k0, ValueRange acc) {
        OpBuilder::InsertionGuard inner(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        Value kk = arith::AddIOp::create(b, loc, k0, tx);
        memref::StoreOp::create(b, loc, loadOrZero(a, row, m, kk), aTile,
                                ValueRange{ty, tx});
        memref::StoreOp::create(b, loc, loadOrZero(bt, bRow, n, kk), bTile,
                                ValueRange{ty, tx});
        gpu::BarrierOp::create(b, loc);
        auto dot = scf::ForOp::create(
            b, loc, zeroIndex, tile, one, ValueRange{acc[0]},
            [&](OpBuilder &db, Location dloc, Value j, ValueRange sum) {
              Value x =
                  memref::LoadOp::create(db, dloc, aTile, ValueRange{ty, j});
              Value y =
                  memref::LoadOp::create(db, dloc, bTile, ValueRange{tx, j});
              Value product = arith::MulFOp::create(db, dloc, x, y);
              scf::YieldOp::create(
                  db, dloc,
                  ValueRange{arith::AddFOp::create(db, dloc, sum[0], product)});
            });
        // No thread refills the tiles while another still reads them.
        gpu::BarrierOp::create(b, loc);
        scf::YieldOp::create(b, loc, dot.getResults());
      });

  Value inC = arith::AndIOp::create(b, loc, less(row, m), less(col, n));
  scf::IfOp::create(b, loc, inC, [&](OpBuilder &nb, Location nloc) {
    Value old = memref::LoadOp::create(nb, nloc, c, ValueRange{row, col});
    Value sum = arith::AddFOp::create(nb, nloc, old, outer.getResult(0));
    memref::StoreOp::create(nb, nloc, sum, c, ValueRange{row, col});
    scf::YieldOp::create(nb, nloc);
  });
  gpu::TerminatorOp::create(b, loc);
}

struct GPUMatmulCodegenPass
    : tp::impl::GPUMatmulCodegenBase<GPUMatmulCodegenPass> {
  void runOnOperation() override {
    SmallVector<linalg::MatmulOp> matmuls;
    getOperation().walk([&](linalg::MatmulOp op) {
      if (isa<linalg::MatmulTransposeBOp>(op.getOperation()) &&
          op.hasPureBufferSemantics() &&
          llvm::all_of(op->getOperandTypes(), [](Type t) {
            return cast<MemRefType>(t).getElementType().isF32();
          }))
        matmuls.push_back(op);
    });
    OpBuilder builder(&getContext());
    for (linalg::MatmulOp op : matmuls) {
      builder.setInsertionPoint(op);
      buildTiledMatmul(builder, op);
      op.erase();
    }
  }
};
} // namespace
