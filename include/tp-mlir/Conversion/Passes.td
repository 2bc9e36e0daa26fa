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
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect"
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
    the host's choice. With `runtime=gpu` the collectives call the GPU
    runtime (`tp_gpu_all_gather` and so on) on device buffers instead. Other
    compilers and device runtimes call `populateTPToRuntimePatterns` with a
    `CollectiveABI` of their own.
  }];
  let options = [
    Option<"runtime", "runtime", "::mlir::tp::RuntimeTarget",
           /*default=*/"::mlir::tp::RuntimeTarget::host",
           "The runtime the collectives call: host (threads and MPI) or gpu">
  ];
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
    location is that of the model-level layer the op came from (the start
    and the wait of an asynchronous collective count as communication: the
    wait holds the part that did not overlap). Hosts print
    compute and communication time per layer from it. With `runtime=gpu`
    the timers are `tp_rt_gpu_timer_begin` and `tp_rt_gpu_timer_end`, CUDA
    events on the rank's stream.
  }];
  let options = [
    Option<"runtime", "runtime", "::mlir::tp::RuntimeTarget",
           /*default=*/"::mlir::tp::RuntimeTarget::host",
           "Whose timers: host (steady clock) or gpu (CUDA events)">
  ];
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
  let summary = "Pack, tile and vectorize the local matmuls for code generation";
  let description = [{
    For `matmul=codegen` and `matmul=auto`, before bufferization: each
    zero-initialized
    matmul first moves into a private kernel function shared by every
    matmul of its operand types, which writes into a buffer the caller
    passes. Then each transposed-B (or plain) float `linalg.matmul`
    becomes `linalg.pack`s of x and W into zero-padded, k-major panels of
    the register tile's rows and columns (`x[M][K] -> [M/MR][K][MR][1]`,
    `W[N][K] -> [N/NR][K][NR][1]`; MR x NR is 16 x 16 with 16 f32 lanes
    (AVX-512, 32 registers), 6 x 16 with 8 (AVX2) and 6 x 8 with 4: 12
    accumulators of the 16 registers), a `linalg.mmt4d` and an unpack
    of the result. A transform-dialect schedule tiles the mmt4d for the
    caches (256 panels of W by 256 steps of K, with both packs fused into
    that loop; then 128 rows of x at MR = 16, 144 at 6) and to the
    register tile, vectorizes it into a contraction whose accumulator is
    hoisted out of the K loop, and tiles and vectorizes the packs as masked
    transposes of a panel's rows by the lanes, and the unpack as masked
    MR x NR copies. Padding replaces
    remainder tiles: every microkernel call is a full MR x NR tile. The
    packed result of a filled init is not filled: in the first block of K
    each register tile starts at the fill's value instead of reading it.
    The ops the pass makes carry `tp.matmul_codegen`, and it transforms
    only those: other `linalg.pack`, `linalg.mmt4d` and `linalg.unpack` ops
    of the module are left as they are.

    With `min-features`, a transposed-B f32 matmul whose N or K is static
    and below it is left as it is, for `tp-matmul-to-blas` after
    bufferization: the pipeline's `matmul=auto`. So is one whose x has a
    single static row, a matrix-vector product that BLAS's sgemv streams W
    for once; with a dynamic batch, the outlined kernel tests the rows on
    each call (`scf.if`) and leaves a single row to BLAS, marked
    `tp.left_to_blas`.

    With `max-outputs`, such a matmul is also left to BLAS when its result,
    times the devices of the module's `tp.mesh` (the ranks that share the
    host's caches), has at least that many elements: the packed result and
    its unpack pass over it again, beyond the cache, where BLAS writes it
    once. N must be static; with a dynamic batch, the kernel tests the rows
    on each call, as for a single row. Other matmuls, which BLAS does not
    take here, are generated whatever their size.

    With `pack-weights-ahead`, an argument of a public function whose every
    use is the W of such a generated matmul (packed alike everywhere, and
    not also read by a BLAS branch) becomes the packed panels themselves:
    its type becomes `[ceil(N/NR)][K][NR][1]`, its kernel calls go to a
    variant that takes W packed, and the function's `tp.packed_weights`
    lists it with its rows NR, orientation and former shape. The caller
    packs such a weight once, where it places it, instead of every call
    packing it again; tp-mlir's driver does so on the CPU.
  }];
  let options = [
    Option<"vectorLanes", "vector-lanes", "int64_t", /*default=*/"0",
           "f32 lanes of the target's vector registers (4, 8 or 16); 0 "
           "asks "
           "the host">,
    Option<"minFeatures", "min-features", "int64_t", /*default=*/"0",
           "Leave matmuls whose static N (out-features) or K (in-features) "
           "is below this; 0: generate every one">,
    Option<"maxOutputs", "max-outputs", "int64_t", /*default=*/"0",
           "Leave matmuls whose result, times the mesh's devices, has at "
           "least this many elements; 0: no limit">,
    Option<"packWeightsAhead", "pack-weights-ahead", "bool",
           /*default=*/"false",
           "Make each weight argument of a public function that only "
           "generated matmuls read the packed panels they read, listed in "
           "the function's tp.packed_weights: its caller packs it once">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect", "::mlir::tensor::TensorDialect",
    "::mlir::transform::TransformDialect"
  ];
}

def LowerMatmulVectors : Pass<"tp-lower-matmul-vectors", "::mlir::ModuleOp"> {
  let summary = "After bufferization, keep matmul accumulators in registers";
  let description = [{
    Makes each register tile's loop over K start from zeros, with the
    tile's previous value added after it and its rows prefetched (for
    writing) before it, as BLAS microkernels read C last; folds memref
    aliases, canonicalizes and CSEs, hoists the redundant accumulator reads
    and writes out of the reduction loop, and lowers the vector ops
    (contractions to FMAs of one vector of W by an element of x broadcast
    from a scalar load, transfers to loads and stores, the packs'
    transposes to shuffles: the AVX-512 16 x 16 sequence when there are 16
    lanes), so that the register tile stays in registers across K.
  }];
  let options = [
    Option<"vectorLanes", "vector-lanes", "int64_t", /*default=*/"0",
           "f32 lanes of the target's vector registers (4, 8 or 16); 0 "
           "asks "
           "the host">
  ];
  let dependentDialects = [
    "::mlir::vector::VectorDialect", "::mlir::memref::MemRefDialect",
    "::mlir::transform::TransformDialect"
  ];
}

//===----------------------------------------------------------------------===//
// The GPU lowering
//===----------------------------------------------------------------------===//

def LinearToCuBLASLt : Pass<"tp-linear-to-cublaslt", "::mlir::ModuleOp"> {
  let summary = "Run the local matmuls of f32 tp layers through cuBLASLt";
  let description = [{
    For the GPU, before bufferization: each f32 `tp.local_linear` (and
    `tp.linear`) becomes a call of the GPU runtime's cuBLASLt matmul on
    device buffers, `y = epilogue(x W^T + b)`, with the bias and the
    activation fused into cuBLASLt's epilogue where it has one: none,
    bias, relu, relu + bias, gelu_tanh and gelu_tanh + bias
    (`tp_gpu_matmul_nt`, `tp_gpu_matmul_nt_bias`; the last argument is the
    epilogue, `GPUEpilogue` in tp-mlir/Runtime/EntryPoints.h). Other
    activations (the exact gelu, sigmoid, tanh, silu) keep the bias in the
    epilogue and follow as a `tp.activation`, which convert-tp-to-linalg
    makes a generated kernel.

    ```mlir
    %y = tp.local_linear %x, %w, %b activation(relu) : ...
    ```

    becomes

    ```mlir
    %xb = bufferization.to_buffer %x read_only : ... to memref<?x?xf32, strided<[?, ?], offset: ?>>
    ...
    %out = memref.alloc(%m, %n) : memref<?x?xf32>
    call @tp_gpu_matmul_nt_bias(%xb, %wb, %bb, %outv, %c1_i32) : ...
    %y = bufferization.to_tensor %out restrict writable : ...
    ```
  }];
  let dependentDialects = [
    "::mlir::func::FuncDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::memref::MemRefDialect", "::mlir::arith::ArithDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def GPUMatmulCodegen : Pass<"tp-gpu-matmul-codegen", "::mlir::ModuleOp"> {
  let summary = "Generate a tiled shared-memory GPU kernel for each matmul";
  let description = [{
    For `matmul=codegen` on the GPU, after bufferization: each transposed-B
    `linalg.matmul` on f32 memrefs (`C += A B^T`, A: M x K, B: N x K) becomes
    a `gpu.launch` of 16 x 16 threads per block, one block per 16 x 16 tile
    of C. The block walks K in steps of 16: its threads load a tile of A and
    a tile of B into workgroup (shared) memory, zero outside the operands,
    synchronize, and each accumulates its element of C from the two tiles.
    gpu-kernel-outlining then makes it a kernel like any other.
  }];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect", "::mlir::scf::SCFDialect",
    "::mlir::memref::MemRefDialect", "::mlir::arith::ArithDialect"
  ];
}

def GPUDeviceCopies : Pass<"tp-gpu-device-copies", "::mlir::ModuleOp"> {
  let summary = "Make buffer copies kernels, and refuse host-only memory";
  let description = [{
    For the GPU, after bufferization: every `memref.copy` (bufferization's
    copies and clones) becomes a `linalg.copy`, which the parallel-loop
    mapping turns into a kernel, since every buffer of GPU code is device
    memory. A `memref.get_global` (a dense constant) would live in host
    memory, where kernels cannot read it: it is an error that names the
    constant.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def PrepareShardForTP : Pass<"tp-prepare-shard", "::mlir::ModuleOp"> {
  let summary = "Check shard-annotated IR against tp's rules and record its "
                "argument shardings, between sharding-propagation and "
                "shard-partition";
  let description = [{
    The first half of the bridge from upstream's `shard` dialect (the second
    is `convert-shard-to-tp`). It runs after `sharding-propagation`, when
    every value carries a sharding, and before `shard-partition`, which
    replaces the arguments' full types by local ones and so forgets the
    checkpoint shapes. It:

    - checks that the module has one 1-D `shard.grid`, whose size becomes
      the tp mesh;
    - records each tensor argument's sharding as the weight manifest it will
      have once partitioned (`tp.pending_shard = #tp.shard<...>`, made
      `tp.shard` by `convert-shard-to-tp`), so that each rank loads only its
      own shard;
    - returns every result whole (replicated): a result that is not
      annotated gets `shard.shard ... annotate_for_users` with
      `split_axes = [[]]`, and one annotated split is an error;
    - rejects what `shard-partition` in LLVM 22 would get wrong or crash
      on, each with a diagnostic at the op: a split of a dimension that the
      grid size does not divide (it floors every shard and drops the rest),
      explicit `sharded_dims_offsets`, halos, a split of a dynamic
      dimension, and an argument whose one use is not its `shard.shard`.
  }];
  let dependentDialects = [
    "::mlir::shard::ShardDialect", "::mlir::tp::TPDialect"
  ];
}

def ConvertShardToTP : Pass<"convert-shard-to-tp", "::mlir::ModuleOp"> {
  let summary = "Convert partitioned shard IR into tp's SPMD form";
  let description = [{
    Converts the output of upstream's `shard-partition` on a 1-D grid into
    a tp SPMD program that tp's CPU backends compile and run:

    - `shard.grid @g(shape = D)` becomes the module's
      `tp.mesh = #tp.mesh<shape = [D]>`, and every function is marked
      `tp.spmd`;
    - `shard.all_reduce`, `shard.all_gather`, `shard.reduce_scatter`,
      `shard.all_slice` and `shard.all_to_all` become the tp collectives of
      the same names (reductions sum, product, max and min);
    - `shard.process_multi_index` and `shard.process_linear_index` become
      `tp.rank`; `shard.grid_shape` becomes the constant D;
    - the `tp.pending_shard` entries of `tp-prepare-shard` become the weight
      manifest `tp.shard`, checked against each argument's local type.

    Every other shard op, a collective over an axis of another grid, a
    reduction tp has not (average, bitwise, generic), a non-f32 collective
    and a split that disagrees with tp's balanced rule is a diagnostic at
    the op; nothing is left behind silently. The patterns are public
    (`populateShardToTPConversionPatterns`), with the legality in
    `configureShardToTPConversionTarget`.
  }];
  let dependentDialects = [
    "::mlir::tp::TPDialect", "::mlir::arith::ArithDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def StridedCopiesToLinalg : Pass<"tp-strided-copies-to-linalg"> {
  let summary = "Make buffer copies that LLVM lowering would hand to the C "
                "runner utilities into linalg.copy";
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
  let description = [{
    After bufferization: rewrites each `memref.copy` whose source or target
    has neither the identity layout nor a static contiguous shape (a
    dynamic run of rows of a larger buffer, where `tensor.concat` and
    `tensor.insert_slice` copy to) into `linalg.copy`, which
    `convert-linalg-to-loops` makes loops. The LLVM lowering would
    otherwise call `memrefCopy` of MLIR's C runner utilities, which neither
    the JIT nor an ahead-of-time object links.
  }];
}

def ApproximateMath : Pass<"tp-approximate-math"> {
  let summary = "Compute the activations' f32 tanh, erf, exp, expm1 and log1p with "
                "MLIR's polynomial approximations instead of libm calls";
  let description = [{
    Rewrites each f32 (or vector of f32) `math.tanh`, `math.erf`,
    `math.exp`, `math.expm1` and `math.log1p` (the last two through
    `math.log`, in Kahan's forms that correct the rounding of their
    argument) into the arithmetic of MLIR's polynomial approximations
    (`populateMathPolynomialApproximationPatterns`): a range reduction, a
    polynomial or rational function, and selects for the special values.
    An epilogue loop of a layer then has no call in it, and LLVM
    vectorizes it; with libm (`convert-math-to-libm`) each element is a
    scalar call to `tanhf`, `erff`, `expf`, `expm1f` or `log1pf`, whose time also depends on
    the argument.

    The approximations stay inside the allowance `tp-run --check` gives a
    compiled activation; test/tools/tp-run/activations.test
    checks every activation against the reference's double-precision
    result from 1e-30 to 1e4 in magnitude, both signs, and at the points
    where the approximations clamp. Other math ops and types are left
    alone.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

def SplitFreshDeallocs : Pass<"tp-split-fresh-deallocs"> {
  let summary = "Turn deallocations of distinct fresh buffers into "
                "memref.dealloc, in time linear in their number";
  let description = [{
    Between `ownership-based-buffer-deallocation` and
    `buffer-deallocation-simplification`: replaces each
    `bufferization.dealloc` whose buffers are all results of distinct
    `memref.alloc` ops, each under a condition that is constant true, and
    whose retained values are results of `memref.alloc` too (a buffer may
    be an allocation's base buffer, from `memref.extract_strided_metadata`;
    buffers under a constant false condition are ignored), with one
    `memref.dealloc` per allocation that is not retained, placed right
    after the last op of the block that uses it or any memref made from it.
    Distinct allocations never alias, so a retained value is owned exactly
    when it is one of the buffers; that constant replaces the op's result.
    Any other dealloc is left to the upstream passes.

    A chain's function ends with one dealloc of every buffer it made;
    `buffer-deallocation-simplification` checks those buffers pair by pair
    and `optimize-allocation-liveness` then moves each dealloc with an alias
    analysis, both quadratic in depth (2,000 layers: 6.7 and 3.6 s of a
    25 s lowering). This pass does both for the common case in one pass.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def OutlineSegments : Pass<"tp-outline-segments", "::mlir::ModuleOp"> {
  let summary = "Cut each function into segments of a bounded number of "
                "ops, each a function of its own, so that LLVM's time "
                "grows linearly with depth";
  let description = [{
    After bufferization and `convert-linalg-to-loops`, for each function
    with more than `ops` top-level ops:

    - Each top-level loop nest (a layer's epilogue, a fill) becomes a
      private function `<function>.loop<i>`, and nests that are the same op
      for op (their values from outside aside) call one function. LLVM
      optimizes and vectorizes each kind of loop once, however deep the
      chain.
    - The rest is cut into runs of about `ops` consecutive ops, each moved
      into a private function `<function>.part<i>` that the function calls
      in its place. Values a run uses from before it become arguments,
      except constants, which are cloned in (LLVM still sees constant trip
      counts); values it makes that are used after it become results. A
      run ends only where no unranked memref it made is still used, and
      before each stack allocation, which stays in the function. These
      functions hold straight-line calls and address arithmetic, and LLVM
      leaves them unoptimized (`optnone`).
    - A public function marked `llvm.emit_c_interface` whose arguments and
      result are ranked memrefs becomes `<function>.packed(!llvm.ptr)`,
      which takes one array of pointers: to the result's descriptor, then
      to each argument's. Each segment loads the descriptors it uses from
      that array. `_mlir_ciface_<function>`, the C interface MLIR would
      have made, fills the array and calls it; a JIT host calls the body
      directly.

    - Before the cut, a run of top-level ops that repeats one sequence at
      least three times (a deep chain's repeated layers), replacing at
      least `roll-ops` ops, becomes an `scf.for` over the repetitions
      after the first, whose body, one repetition, is a function of its
      own (`<function>.rep<i>`). Values one repetition passes to the next,
      and those of the last used after the run, are the loop's iteration
      arguments. Every operand of every repetition must stand for the
      same thing as in the others: made by the repetition itself or by
      the previous one at the same place, the same value from before the
      run, or a descriptor from the packed entry's array or an integer
      constant a fixed stride on per repetition (each layer's weight and
      bias, the profile's timer ids), which the body computes from the
      induction variable. Stack allocations and vector code are never
      rolled. A chain of repeated layers then compiles like a few layers,
      however deep.

    A chain of L layers is otherwise one function of L layers' worth of
    straight-line code and loops, called, and calling, with some 14 words
    per layer's arguments in one block: LLVM's loop passes, instruction
    selection and schedulers take time superlinear in such a function's
    or block's size (at 1,000 layers of width 64, 75 s of compile). With
    bounded functions, the work is bounded per layer; the price is one
    call per segment and per loop nest.
  }];
  let options = [
    Option<"segmentOps", "ops", "int64_t", /*default=*/"32",
           "Top-level ops per segment (a function this size is left whole)">,
    Option<"rollOps", "roll-ops", "int64_t", /*default=*/"128",
           "Fewest top-level ops a loop over repeated layers must replace "
           "(0: never roll)">
  ];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
}

#endif // TP_MLIR_CONVERSION_PASSES_TD
