//===- Passes.td - tp conversion passes --------------------*- tablegen -*-===//

#ifndef TP_MLIR_CONVERSION_PASSES_TD
#define TP_MLIR_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertTPToLinalg : Pass<"convert-tp-to-linalg"> {
  let summary = "Lower tp compute ops to linalg on tensors";
  let description = [{
    `tp.linear` and `tp.local_linear` become a zero fill and a transposed-B
    `linalg.matmul` (`y = x W^T`), followed, when there is a bias or an
    activation, by one elementwise `linalg.generic` that adds the bias and
    applies sigma (the epilogue); `tp.bias_activation` and `tp.activation`
    become that `linalg.generic` alone. Dynamic sizes come from `tensor.dim`
    of the operands, so shards of any size work.

    ```mlir
    %y = tp.local_linear %x, %w, %b activation(relu)
        : tensor<4x8xf32>, tensor<?x8xf32>, tensor<?xf32> -> tensor<4x?xf32>
    ```

    becomes

    ```mlir
    %n = tensor.dim %w, %c0 : tensor<?x8xf32>
    %e = tensor.empty(%n) : tensor<4x?xf32>
    %z = linalg.fill ins(%cst : f32) outs(%e : tensor<4x?xf32>) -> tensor<4x?xf32>
    %m = linalg.matmul indexing_maps = [..., affine_map<(d0, d1, d2) -> (d1, d2)>, ...]
        ins(%x, %w : ...) outs(%z : tensor<4x?xf32>) -> tensor<4x?xf32>
    %y = linalg.generic {...} ins(%m, %b : ...) outs(%m : ...) { addf, maximumf }
    ```
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect"
  ];
}

def ConvertTPToRuntime : Pass<"convert-tp-to-runtime", "::mlir::ModuleOp"> {
  let summary = "Lower tp collectives and tp.rank to calls into the tp runtime";
  let description = [{
    Lowers the SPMD-level ops that talk to other devices:

    - `tp.rank` calls `tp_rt_rank`;
    - `tp.all_slice` is a `tensor.extract_slice` at this rank's offset and
      size under the balanced rule, computed from the rank (no call);
    - `tp.all_gather`, `tp.all_reduce` and `tp.reduce_scatter` read their
      operand as a buffer (`bufferization.to_buffer`), allocate the result
      (`memref.alloc`, sized from the rank where the shard is uneven), call
      the runtime on unranked memrefs, and continue with
      `bufferization.to_tensor ... restrict writable`, so that one-shot
      bufferization handles the rest of the function.

    Public partitioned functions get `llvm.emit_c_interface`, which is how a
    host (tp-run, or a program linking the AOT object) calls them, and lose
    their `tp.name` and `tp.shard` argument attributes: hosts read the names
    and the manifest before lowering, and LLVM has no use for them. The same
    calls serve the threads and MPI backends; which communicator answers is
    the host's choice. The pass uses the host runtimes' ABI; other compilers
    and device runtimes call `populateTPToRuntimePatterns` with a
    `CollectiveABI` of their own.
  }];
  let dependentDialects = [
    "::mlir::tp::TPDialect",
    "::mlir::func::FuncDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::memref::MemRefDialect", "::mlir::tensor::TensorDialect",
    "::mlir::arith::ArithDialect"
  ];
}

def InsertProfileTimers : Pass<"tp-insert-profile-timers", "::mlir::ModuleOp"> {
  let summary = "Time every tp compute op and collective of partitioned code";
  let description = [{
    Brackets each tp op of a partitioned function with calls to
    `tp_rt_timer_begin(id)` and `tp_rt_timer_end(id)` and records, in the
    function's `tp.profile` attribute, one name per id:
    `"compute <location>"` or `"communication <location>"`, where the
    location is that of the model-level layer the op came from. Hosts print
    compute and communication time per layer from it.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect", "::mlir::arith::ArithDialect"];
}

def MatmulToBLAS : Pass<"tp-matmul-to-blas", "::mlir::ModuleOp"> {
  let summary = "Run transposed-B f32 matmuls on memrefs through BLAS sgemm";
  let description = [{
    Replaces each bufferized `linalg.matmul` of the form `C += A B^T` on f32
    memrefs with a call to the runtime's `tp_rt_matmul_nt`, which calls
    `cblas_sgemm` of the BLAS library the runtime links (OpenBLAS). The
    operands are cast to fully dynamic strided layouts, so slices work
    without copies. Any other matmul is left for code generation.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect", "::mlir::memref::MemRefDialect"];
}

def TileMatmuls : Pass<"tp-tile-matmuls", "::mlir::ModuleOp"> {
  let summary = "Tile and vectorize the local matmuls for code generation";
  let description = [{
    For `matmul=codegen`, before bufferization: each transposed-B
    `linalg.matmul` (`y = x W^T`) becomes a `linalg.transpose` of W (K x N,
    a copy of 1/batch of the matmul's work) and a plain matmul, which a
    transform-dialect schedule tiles for the caches (64 x 256 x 256) and for
    the registers (4 x 16 x 1: eight 8-wide AVX2 accumulators), and
    vectorizes, with masks for partial and dynamic tiles.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect", "::mlir::tensor::TensorDialect",
    "::mlir::transform::TransformDialect"
  ];
}

def LowerMatmulVectors : Pass<"tp-lower-matmul-vectors", "::mlir::ModuleOp"> {
  let summary = "After bufferization, keep matmul accumulators in registers";
  let description = [{
    Folds memref aliases, canonicalizes and CSEs, hoists the redundant
    accumulator reads and writes out of the reduction loop, and lowers the
    vector ops (contractions to outer products, transfers to loads and
    stores), so that the register tile stays in registers across K.
  }];
  let dependentDialects = [
    "::mlir::vector::VectorDialect", "::mlir::memref::MemRefDialect",
    "::mlir::transform::TransformDialect"
  ];
}

#endif // TP_MLIR_CONVERSION_PASSES_TD
