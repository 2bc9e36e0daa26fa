//===- Passes.td - tp dialect passes -----------------------*- tablegen -*-===//

#ifndef TP_MLIR_DIALECT_TP_TRANSFORMS_PASSES_TD
#define TP_MLIR_DIALECT_TP_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def FuseActivations : Pass<"tp-fuse-activations"> {
  let summary = "Fuse tp.activation into the tp.linear that produces it";
  let dependentDialects = ["::mlir::tp::TPDialect"];
  let description = [{
    Rewrites a `tp.activation` whose operand is the only use of a
    `tp.linear` without an activation into one `tp.linear` with the
    activation fused. The fused form matters for partitioning: a
    column-sharded layer must apply its activation after the all-reduce,
    and the partitioner sees that only when the activation belongs to the
    layer.

    Before:

    ```mlir
    %0 = tp.linear %x, %w, %b : tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32> -> tensor<4x16xf32>
    %1 = tp.activation relu %0 : tensor<4x16xf32>
    ```

    After:

    ```mlir
    %1 = tp.linear %x, %w, %b activation(relu) : tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32> -> tensor<4x16xf32>
    ```

    A linear op whose result has other uses is left alone, since fusing
    would change what those uses see.
  }];
}

def SetMesh : Pass<"tp-set-mesh", "::mlir::ModuleOp"> {
  let summary = "Attach (or replace) the module's device mesh";
  let dependentDialects = ["::mlir::tp::TPDialect"];
  let description = [{
    Sets `tp.mesh = #tp.mesh<shape = [devices]>` on the module, so that a
    model can be partitioned for a device count chosen on the command line.

    ```mlir
    // tp-opt --tp-set-mesh=devices=4
    module attributes {tp.mesh = #tp.mesh<shape = [4]>} { ... }
    ```

    A device count below 1 is an error.
  }];
  let options = [
    Option<"devices", "devices", "int64_t", /*default=*/"0",
           "Number of devices of the 1-D mesh (at least 1)">
  ];
}

def SetStrategy : Pass<"tp-set-strategy", "::mlir::ModuleOp"> {
  let summary = "Give every unannotated tp.linear a sharding";
  let dependentDialects = ["::mlir::tp::TPDialect"];
  let description = [{
    Sets the `sharding` of each `tp.linear` that has none, by one uniform
    strategy. Shardings written by hand stay as they are.

    - `row`: every layer splits the rows of W (output features);
    - `column`: every layer splits the columns of W (input features);
    - `alternate`: Megatron's pairing. A layer whose input comes from a
      row-sharded layer (through any activations) is `column`, every other
      layer is `row`; a chain becomes row, column, row, column, ... and each
      pair costs one all-reduce after `tp-optimize-collectives`;
    - `replicated`: every device computes every layer;
    - `batch`: every layer splits the batch (rows of x), W whole on every
      device: data parallelism;
    - `auto`: the planner chooses (as `tp-plan` does, with the options
      below).

    Before (`--tp-set-strategy=strategy=alternate`):

    ```mlir
    %h = tp.linear %x, %w0 : ...
    %y = tp.linear %h, %w1 : ...
    ```

    After:

    ```mlir
    %h = tp.linear %x, %w0 sharding(row) : ...
    %y = tp.linear %h, %w1 sharding(column) : ...
    ```

    The module must carry a `tp.mesh`. An unknown strategy is an error that
    lists the valid ones.
  }];
  let options = [
    Option<"strategy", "strategy", "::mlir::tp::PartitionStrategy",
           /*default=*/"::mlir::tp::PartitionStrategy::alternate",
           "row, column, alternate, replicated, batch or auto">,
    Option<"batch", "batch", "int64_t",
           /*default=*/"::mlir::tp::kDefaultPlannedBatch",
           "auto: the batch a dynamic batch dimension is planned for">,
    Option<"memoryLimitMiB", "memory-limit-mib", "int64_t", /*default=*/"0",
           "auto: MiB per device the plan must fit (0: no limit)">,
    Option<"profile", "profile", "std::string", /*default=*/"\"\"",
           "auto: the machine profile (JSON of tp-run --calibrate; default: "
           "the built-in one)">,
    Option<"matmul", "matmul", "::mlir::tp::MatmulLowering",
           /*default=*/"::mlir::tp::MatmulLowering::automatic",
           "auto: how the local matmuls will run (auto, "
           "codegen or blas): the built-in profile of that lowering, and the one a "
           "given profile must have been calibrated with">
  ];
}

def Plan : Pass<"tp-plan", "::mlir::ModuleOp"> {
  let summary = "Choose each layer's split by a cost model, exactly";
  let dependentDialects = ["::mlir::tp::TPDialect"];
  let description = [{
    Gives each `tp.linear` without a sharding the split of the plan with the
    least predicted time whose weights, input and live activations (with
    the packed buffers of generated matmuls, under `matmul=auto` or
    `codegen`) fit `memory-limit-mib` per device. The cost model times each local GEMM
    from the machine profile's throughput by size and by rows (bounded
    below by reading its operands at the profile's bandwidth), each
    epilogue from the measured cost of its activation, and each collective
    that `tp-partition` and `tp-optimize-collectives` will make from its
    latency and bandwidth (alpha-beta); a dynamic program over the activation's
    layout between layers (replicated, feature-split, partial sums,
    batch-split) with Pareto fronts of (time, weight bytes, live
    activations) finds the optimum exactly. Hand-written shardings are kept
    and planned around. The planner writes ordinary `sharding(...)`
    attributes.

    The module needs a `tp.mesh`; a function that is not a chain of
    `tp.linear` and `tp.activation`, or a limit no plan fits, is an error
    that says why.
  }];
  let options = [
    Option<"batch", "batch", "int64_t",
           /*default=*/"::mlir::tp::kDefaultPlannedBatch",
           "The batch a dynamic batch dimension is planned for">,
    Option<"memoryLimitMiB", "memory-limit-mib", "int64_t", /*default=*/"0",
           "MiB per device the plan must fit (0: no limit)">,
    Option<"profile", "profile", "std::string", /*default=*/"\"\"",
           "The machine profile (JSON of tp-run --calibrate; default: the "
           "built-in one)">,
    Option<"matmul", "matmul", "::mlir::tp::MatmulLowering",
           /*default=*/"::mlir::tp::MatmulLowering::automatic",
           "How the local matmuls will run (auto, codegen or "
           "blas): "
           "the built-in profile of that lowering, and the one a given "
           "profile must have been calibrated with">
  ];
}

def Partition : Pass<"tp-partition", "::mlir::ModuleOp"> {
  let summary = "Rewrite planned functions into the SPMD form every device runs";
  let dependentDialects = ["::mlir::tp::TPDialect",
                           "::mlir::tensor::TensorDialect"];
  let description = [{
    Turns each function whose `tp.linear` ops all carry a sharding into the
    function that every device of the module's mesh runs:

    - weight and bias arguments take their local (per-device) types and a
      `tp.shard` manifest entry saying how the checkpoint tensor is sliced;
    - a `row` layer computes its rows with `tp.local_linear` (bias and
      activation applied locally) and all-gathers the output features;
    - a `column` layer slices its input features (`tp.all_slice`), computes
      a partial product, all-reduces it, and only then adds the bias and
      applies the activation (`tp.bias_activation`), so that sigma never sees
      a partial sum and the bias is added once;
    - a `batch` layer slices the rows of its input (`tp.all_slice` along 0),
      computes them with the whole layer, and all-gathers the rows, given
      the full batch (`tensor.dim` of the input) as the gather's `size`;
    - a `replicated` layer computes everything on every device.

    The result is deliberately naive: every layer leaves its output
    replicated. `tp-optimize-collectives` removes the collectives that the
    next layer does not need. Shards follow the balanced rule (the first
    S mod D ranks hold one more); a local dimension is dynamic when D does not
    divide it.

    Before (2 devices):

    ```mlir
    %y = tp.linear %x, %w, %b activation(relu) sharding(row)
        : tensor<4x8xf32>, tensor<6x8xf32>, tensor<6xf32> -> tensor<4x6xf32>
    ```

    After:

    ```mlir
    func.func @f(%x: tensor<4x8xf32>,
                 %w: tensor<3x8xf32> {tp.shard = #tp.shard<shape = [6, 8], dim = 0, offsets = [0, 3], sizes = [3, 3]>},
                 %b: tensor<3xf32> {tp.shard = #tp.shard<shape = [6], dim = 0, offsets = [0, 3], sizes = [3, 3]>})
        attributes {tp.spmd} {
      %0 = tp.local_linear %x, %w, %b activation(relu) : ... -> tensor<4x3xf32>
      %1 = tp.all_gather %0 along 1 : tensor<4x3xf32> -> tensor<4x6xf32>
    ```

    Errors: a `tp.linear` without a sharding, a module without a mesh, and a
    weight argument that two layers would split in different ways.
  }];
}

def OptimizeCollectives : Pass<"tp-optimize-collectives"> {
  let summary = "Remove and cheapen the collectives of partitioned code";
  let dependentDialects = ["::mlir::tp::TPDialect"];
  let description = [{
    Rewrites that each keep the program's meaning:

    - `all_slice(all_gather(x, d), d)` is `x`: a row-sharded layer followed
      by a column-sharded one needs no collective between them;
    - `all_slice(all_gather(x, c), s)` with `c != s` is
      `all_to_all(x, split s, concat c)`: the move between a batch-split and
      a feature-split activation, at 1/D of a gather's traffic;
    - `all_slice(all_reduce(x), d)` is `reduce_scatter(x, d)`;
    - `all_slice` moves above elementwise ops (`tp.activation`, and
      `tp.bias_activation` with the bias sliced too), so that the two rules
      above meet their pattern through activations;
    - an activation of an `all_gather` runs on the shards before the gather;
    - `tensor.dim` of a tp op is taken on the operand that has the same
      extent (or is the op's `size`), so that no gather stays alive only to
      give the batch;
    - on a one-device mesh every collective disappears;
    - a replicated weight argument that is only ever sliced along one dim
      (the bias of a column layer whose bias_activation now runs on slices)
      becomes a split argument: its manifest entry says so and each device
      loads only its slice.

    Before:

    ```mlir
    %0 = tp.local_linear %x, %w0 : ... -> tensor<4x?xf32>
    %1 = tp.all_gather %0 along 1 : tensor<4x?xf32> -> tensor<4x7xf32>
    %2 = tp.all_slice %1 along 1 : tensor<4x7xf32> -> tensor<4x?xf32>
    %3 = tp.local_linear %2, %w1 : ...
    ```

    After:

    ```mlir
    %0 = tp.local_linear %x, %w0 : ... -> tensor<4x?xf32>
    %3 = tp.local_linear %0, %w1 : ...
    ```
  }];
}

def OverlapCollectives : Pass<"tp-overlap-collectives"> {
  let summary = "Overlap each layer's collective with its own computation, "
                "chunk by chunk";
  let dependentDialects = ["::mlir::tp::TPDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
  let description = [{
    Splits a layer of partitioned code into `chunks` pieces along the batch
    (dim 0, by the balanced rule) and pipelines them: the collective of
    chunk i runs asynchronously (`tp.all_reduce_start`,
    `tp.all_gather_start`) while the device computes chunk i + 1, and
    `tp.wait` completes it one chunk later. At most two collectives of a
    device are in flight.

    It applies to
    - a column-sharded layer: `tp.local_linear` (no bias, no activation),
      then `tp.all_reduce`, and the `tp.bias_activation` that follows, if
      any;
    - a row-sharded layer: `tp.local_linear`, then `tp.all_gather` along a
      dimension other than the batch;
    where the local product has no other use and the result has rank 2 with
    static features. Each chunk's result is inserted into its rows of the
    layer's output (`tensor.empty`, `tensor.insert_slice`), which the
    lowering turns into collectives that write those rows in place. A
    column layer's bias and activation then run once on the whole output.
    A layer whose static batch is smaller than `chunks` is left alone.

    Before (`chunks=2`):

    ```mlir
    %p = tp.local_linear %x, %w : tensor<8x64xf32>, tensor<32x64xf32> -> tensor<8x32xf32>
    %s = tp.all_reduce sum %p : tensor<8x32xf32>
    %y = tp.bias_activation %s, %b activation(relu) : tensor<8x32xf32>, tensor<32xf32>
    ```

    After:

    ```mlir
    %e = tensor.empty() : tensor<8x32xf32>
    %x0 = tensor.extract_slice %x[0, 0] [4, 64] [1, 1] : tensor<8x64xf32> to tensor<4x64xf32>
    %p0 = tp.local_linear %x0, %w : tensor<4x64xf32>, tensor<32x64xf32> -> tensor<4x32xf32>
    %h0 = tp.all_reduce_start sum %p0 : tensor<4x32xf32> -> !tp.pending<tensor<4x32xf32>>
    %x1 = tensor.extract_slice %x[4, 0] [4, 64] [1, 1] : tensor<8x64xf32> to tensor<4x64xf32>
    %p1 = tp.local_linear %x1, %w : tensor<4x64xf32>, tensor<32x64xf32> -> tensor<4x32xf32>
    %h1 = tp.all_reduce_start sum %p1 : tensor<4x32xf32> -> !tp.pending<tensor<4x32xf32>>
    %s0 = tp.wait %h0 : !tp.pending<tensor<4x32xf32>>
    %i0 = tensor.insert_slice %s0 into %e[0, 0] [4, 32] [1, 1] : tensor<4x32xf32> into tensor<8x32xf32>
    %s1 = tp.wait %h1 : !tp.pending<tensor<4x32xf32>>
    %i1 = tensor.insert_slice %s1 into %i0[4, 0] [4, 32] [1, 1] : tensor<4x32xf32> into tensor<8x32xf32>
    %y = tp.bias_activation %i1, %b activation(relu) : tensor<8x32xf32>, tensor<32xf32>
    ```

    The asynchronous collectives run on the host runtimes (threads: the
    collective completes at `tp.wait`, and a device never waits at the
    start; MPI: it completes at the start). The GPU lowering rejects them.
  }];
  let options = [
    Option<"chunks", "chunks", "int64_t", /*default=*/"4",
           "Pieces of the batch per layer (at least 2)">
  ];
}

#endif // TP_MLIR_DIALECT_TP_TRANSFORMS_PASSES_TD
