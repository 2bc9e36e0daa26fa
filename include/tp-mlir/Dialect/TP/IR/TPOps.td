//===- TPOps.td - tp dialect operations --------------------*- tablegen -*-===//

#ifndef TP_MLIR_DIALECT_TP_IR_TPOPS_TD
#define TP_MLIR_DIALECT_TP_IR_TPOPS_TD

include "mlir/IR/OpBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "tp-mlir/Dialect/TP/IR/TPDialect.td"
include "tp-mlir/Dialect/TP/IR/TPEnums.td"
include "tp-mlir/Dialect/TP/IR/TPAttrs.td"
include "tp-mlir/Dialect/TP/IR/TPTypes.td"

//===----------------------------------------------------------------------===//
// Model-level ops
//===----------------------------------------------------------------------===//

// The ops with a fused activation: `activation` and `activation_params`.
defvar resolvedActivationDeclaration = [{
    /// The activation with its parameters, the defaults filled in.
    ::mlir::tp::Activation getResolvedActivation() {
      return ::mlir::tp::Activation::get(getActivation(),
                                         getActivationParamsAttr());
    }
}];

def TP_LinearOp : TP_Op<"linear", [Pure]> {
  let summary = "dense layer: y = sigma(x W^T + b)";
  let description = [{
    One dense layer in PyTorch's `nn.Linear` layout. `input` is the batch of
    activations `x : B x K`, `weight` is `W : N x K` (out_features x
    in_features), and the optional `bias` is `b : N`. The result is
    `y = sigma(x W^T + b) : B x N`, where `sigma` is the fused `activation`
    (identity when omitted, and then not printed), any kind of
    `tp.activation` with its parameters (`activation(leaky_relu(0.2))`).

    The optional `sharding` says how the layer is split across the device
    mesh: `row` (output features), `column` (input features), `batch`
    (rows of x: data parallelism, W replicated) or `replicated`. A layer
    without one is not yet planned.

    Example:

    ```mlir
    %y = tp.linear %x, %w, %b activation(relu) sharding(row)
        : tensor<?x784xf32>, tensor<256x784xf32>, tensor<256xf32>
        -> tensor<?x256xf32>
    ```

    Constraints:
    - `input` is rank 2 (B x K), `weight` rank 2 (N x K), `bias` rank 1 (N),
      and the result rank 2 (B x N);
    - every element type is `f32`;
    - K of `input` equals K of `weight`; the length of `bias` equals N;
    - the result is `B x N` with the batch dimension of `input`;
    - only the batch dimension may be dynamic; no dimension is zero;
    - a `sharding` requires a `tp.mesh` on an enclosing module.
  }];
  let arguments = (ins
    AnyRankedTensor:$input,
    AnyRankedTensor:$weight,
    Optional<AnyRankedTensor>:$bias,
    DefaultValuedAttr<TP_ActivationKindAttr,
                      "::mlir::tp::ActivationKind::identity">:$activation,
    OptionalAttr<DenseF32ArrayAttr>:$activation_params,
    OptionalAttr<TP_ShardingKindAttr>:$sharding
  );
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)?
    (`activation` `(` custom<Activation>($activation, $activation_params)^ `)`)?
    (`sharding` `(` custom<EnumKeyword>($sharding)^ `)`)?
    attr-dict `:` type($input) `,` type($weight) (`,` type($bias)^)?
    `->` type($result)
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Value":$input, "::mlir::Value":$weight,
                   "::mlir::Value":$bias,
                   CArg<"::mlir::tp::Activation",
                        "::mlir::tp::Activation::withDefaults("
                        "::mlir::tp::ActivationKind::identity)">:$activation)>,
    // A kind with its default parameters (none written).
    OpBuilder<(ins "::mlir::Value":$input, "::mlir::Value":$weight,
                   "::mlir::Value":$bias,
                   "::mlir::tp::ActivationKind":$activation)>
  ];
  let extraClassDeclaration = !strconcat(resolvedActivationDeclaration, [{
    int64_t getInFeatures() { return getWeight().getType().getDimSize(1); }
    int64_t getOutFeatures() { return getWeight().getType().getDimSize(0); }
  }]);
  let hasVerifier = 1;
}

def TP_ActivationOp : TP_Op<"activation", [Pure, SameOperandsAndResultType]> {
  let summary = "elementwise nonlinearity";
  let description = [{
    Applies `kind` elementwise:

    | kind        | definition                                              |
    |-------------|---------------------------------------------------------|
    | `identity`  | x                                                       |
    | `relu`      | max(x, 0)                                               |
    | `gelu`      | 0.5 x (1 + erf(x / sqrt 2)) (exact)                     |
    | `gelu_tanh` | 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))         |
    | `sigmoid`   | 1 / (1 + exp(-x))                                       |
    | `tanh`      | tanh(x)                                                 |
    | `silu`      | x sigmoid(x)                                            |
    | `leaky_relu(negative_slope = 0.01)` | x if x > 0, else negative_slope x |
    | `elu(alpha = 1)` | x if x > 0, else alpha (exp(x) - 1)                |
    | `selu`      | 1.0507 elu(x) with alpha = 1.6733 (PyTorch's constants) |
    | `softplus(beta = 1, threshold = 20)` | log(1 + exp(beta x)) / beta; x where beta x > threshold |
    | `mish`      | x tanh(softplus(x))                                     |
    | `hardtanh(min_val = -1, max_val = 1)` | min(max(x, min_val), max_val) (ReLU6: `hardtanh(0.0, 6.0)`) |
    | `hardsigmoid` | min(max(x + 3, 0), 6) / 6                             |
    | `hardswish` | x min(max(x + 3, 0), 6) / 6                             |

    A kind with parameters takes them in parentheses after its keyword,
    all or none (PyTorch's defaults, shown above, when omitted); they are
    stored as `params` (`activation_params` on the ops that fuse an
    activation):

    ```mlir
    %y = tp.activation gelu_tanh %x : tensor<8x256xf32>
    %z = tp.activation leaky_relu(0.2) %y : tensor<8x256xf32>
    ```

    `identity` folds away, and `relu` of `relu` is one `relu`. The
    `tp-fuse-activations` pass moves an activation into the producing
    `tp.linear`.

    Constraints:
    - the parameters, when written, are as many as the kind takes, each
      finite; hardtanh's min_val is below its max_val, softplus's beta is
      positive;
    - the operand and the result have the same type;
    - the element type is `f32`;
    - no static dimension is zero.
  }];
  let arguments = (ins TP_ActivationKindAttr:$kind,
                       OptionalAttr<DenseF32ArrayAttr>:$params,
                       AnyRankedTensor:$input);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat =
      "custom<Activation>($kind, $params) $input attr-dict `:` type($input)";
  let builders = [
    // The kind with its parameters (those it takes, all of them).
    OpBuilder<(ins "const ::mlir::tp::Activation &":$activation,
                   "::mlir::Value":$input)>,
    // A kind with its default parameters (none written).
    OpBuilder<(ins "::mlir::tp::ActivationKind":$kind, "::mlir::Value":$input),
    [{ build($_builder, $_state, input.getType(),
             ::mlir::tp::ActivationKindAttr::get($_builder.getContext(), kind),
             ::mlir::DenseF32ArrayAttr(), input); }]>
  ];
  let extraClassDeclaration = [{
    /// The kind with its parameters, the defaults filled in.
    ::mlir::tp::Activation getResolvedActivation() {
      return ::mlir::tp::Activation::get(getKind(), getParamsAttr());
    }
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

// Softmax and log-softmax over the features of each row. A row-wise op: it
// needs a row's every feature, so the partitioner leaves it on the whole
// (gathered) output of the layer before it.
class TP_RowSoftmaxOp<string mnemonic, string torchName, string formula>
    : TP_Op<mnemonic, [Pure, SameOperandsAndResultType]> {
  let arguments = (ins AnyRankedTensor:$input);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
  let description = !strconcat([{
    Normalizes each row of `x : B x N` over its `N` features (dimension 1),
    as PyTorch's `}], torchName, [{(dim=1)` does:

    ```
    }], formula, [{
    ```

    The maximum of each row is subtracted first, so large inputs do not
    overflow.

    A row needs every feature of its row, so after partitioning this op runs
    on the whole output of the layer before it (gathered, or reduced, on
    every device); it does not let that layer's split pair with the next
    one's. A split of the batch holds whole rows: `tp-optimize-collectives`
    moves the op across the batch's gathers and slices, and each device
    normalizes its own rows.

    Constraints:
    - `input` is rank 2 (B x N), and the result has its type;
    - the element type is `f32`;
    - only the batch dimension may be dynamic; no dimension is zero.
  }]);
}

def TP_SoftmaxOp : TP_RowSoftmaxOp<"softmax", "nn.Softmax",
    "y_ij = exp(x_ij - m_i) / sum_k exp(x_ik - m_i),  m_i = max_k x_ik"> {
  let summary = "softmax over the features of each row";
}

def TP_LogSoftmaxOp : TP_RowSoftmaxOp<"log_softmax", "nn.LogSoftmax",
    "y_ij = x_ij - m_i - log(sum_k exp(x_ik - m_i)),  m_i = max_k x_ik"> {
  let summary = "log of the softmax over the features of each row";
}

//===----------------------------------------------------------------------===//
// SPMD-level ops: what every device runs after partitioning
//===----------------------------------------------------------------------===//

// Ops that run per device: they belong in a partitioned function (one marked
// `tp.spmd`), never in a model, where they would compute D-times or
// rank-dependent results.
def TP_SPMDOnly : NativeOpTrait<"SPMDOnly"> {
  let cppNamespace = "::mlir::tp";
}

def TP_RankOp : TP_Op<"rank", [Pure, TP_SPMDOnly]> {
  let summary = "this device's rank in the mesh";
  let description = [{
    The rank of the device that runs the partitioned function, in
    `[0, D)`. Backends lower it to a query of their communicator.

    ```mlir
    %r = tp.rank : index
    ```

    Constraints:
    - an enclosing module carries a `tp.mesh`;
    - it is in a partitioned (`tp.spmd`) function.
  }];
  let results = (outs Index:$result);
  let assemblyFormat = "attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def TP_LocalLinearOp : TP_Op<"local_linear", [Pure, TP_SPMDOnly]> {
  let summary = "dense layer on this device's shards: y = sigma(x W^T + b)";
  let description = [{
    `tp.linear` on local (per-device) shards, as the partitioner emits it.
    The semantics are those of `tp.linear`; unlike it, any dimension may be
    dynamic, because shard sizes differ between ranks when a width does not
    divide by the device count.

    ```mlir
    %y = tp.local_linear %x, %w, %b activation(relu)
        : tensor<?x784xf32>, tensor<?x784xf32>, tensor<?xf32> -> tensor<?x?xf32>
    ```

    Constraints:
    - ranks 2 (input), 2 (weight), 1 (bias), 2 (result); f32 elements;
    - the in_features of input and weight, the bias length and out_features,
      and the result's dimensions agree wherever both sides are static;
    - no static dimension is zero;
    - it is in a partitioned (`tp.spmd`) function.
  }];
  let arguments = (ins
    AnyRankedTensor:$input,
    AnyRankedTensor:$weight,
    Optional<AnyRankedTensor>:$bias,
    DefaultValuedAttr<TP_ActivationKindAttr,
                      "::mlir::tp::ActivationKind::identity">:$activation,
    OptionalAttr<DenseF32ArrayAttr>:$activation_params
  );
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)?
    (`activation` `(` custom<Activation>($activation, $activation_params)^ `)`)?
    attr-dict `:` type($input) `,` type($weight) (`,` type($bias)^)?
    `->` type($result)
  }];
  let extraClassDeclaration = resolvedActivationDeclaration;
  let hasVerifier = 1;
}

def TP_BiasActivationOp : TP_Op<"bias_activation",
    [Pure, TP_SPMDOnly, AllTypesMatch<["input", "result"]>]> {
  let summary = "y = sigma(x + b), the bias broadcast over the batch";
  let description = [{
    Adds the optional bias `b : N` to every row of `x : B x N`, then applies
    the activation. The partitioner emits it after the all-reduce of a
    column-sharded layer, so that the bias is added once and sigma sees the
    complete sums.

    ```mlir
    %y = tp.bias_activation %s, %b activation(gelu) : tensor<?x256xf32>, tensor<256xf32>
    ```

    Constraints:
    - input rank 2, bias rank 1, f32 elements;
    - the bias length equals dim 1 of the input where both are static;
    - the result has the input's type;
    - it is in a partitioned (`tp.spmd`) function.
  }];
  let arguments = (ins
    AnyRankedTensor:$input,
    Optional<AnyRankedTensor>:$bias,
    DefaultValuedAttr<TP_ActivationKindAttr,
                      "::mlir::tp::ActivationKind::identity">:$activation,
    OptionalAttr<DenseF32ArrayAttr>:$activation_params
  );
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input (`,` $bias^)?
    (`activation` `(` custom<Activation>($activation, $activation_params)^ `)`)?
    attr-dict `:` type($input) (`,` type($bias)^)?
  }];
  let extraClassDeclaration = resolvedActivationDeclaration;
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Collectives
//===----------------------------------------------------------------------===//

// The collectives act on the mesh of the enclosing module. Shards follow one
// rule everywhere: a dimension of size S over D devices gives rank r the
// slice of size S / D + (r < S mod D ? 1 : 0), in rank order. A local
// dimension is static (S / D) when D divides S, and dynamic otherwise.
class TP_CollectiveOp<string mnemonic, list<Trait> traits = []>
    : TP_Op<mnemonic, !listconcat(traits, [Pure, TP_SPMDOnly])> {
  let hasVerifier = 1;
  code collectiveExtraClassDeclaration = [{
    /// The mesh this collective runs on.
    ::mlir::tp::MeshAttr getMesh() {
      return ::mlir::tp::lookupMesh(getOperation());
    }
  }];
  let extraClassDeclaration = collectiveExtraClassDeclaration;
}

def TP_AllGatherOp : TP_CollectiveOp<"all_gather"> {
  let summary = "concatenate every device's shard along a dimension";
  let description = [{
    Every device contributes its shard and receives the concatenation of all
    shards along `dim`, in rank order. With D = 3 and 10 features:

    ```
    device 0: [a0 a1 a2 a3]        device 0: [a0 .. a3 b0 .. b2 c0 .. c2]
    device 1: [b0 b1 b2]     --->  device 1: [a0 .. a3 b0 .. b2 c0 .. c2]
    device 2: [c0 c1 c2]           device 2: [a0 .. a3 b0 .. b2 c0 .. c2]
    ```

    ```mlir
    %full = tp.all_gather %shard along 1 : tensor<8x?xf32> -> tensor<8x10xf32>
    ```

    When the gathered dimension of the result is dynamic (a batch split),
    `size` gives its full extent, which every device knows; code is
    generated only with it:

    ```mlir
    %b = tensor.dim %x, %c0 : tensor<?x64xf32>
    %y = tp.all_gather %rows along 0 size %b : tensor<?x64xf32> -> tensor<?x64xf32>
    ```

    Constraints:
    - an enclosing module carries a `tp.mesh`;
    - operand and result have the same rank and element type, and `dim` is
      one of their dimensions;
    - every other dimension is the same in operand and result;
    - the operand's `dim` is the local size of the result's `dim` under the
      balanced rule: static only when D divides it;
    - `size` is given only when the result's `dim` is dynamic.
  }];
  let arguments = (ins AnyRankedTensor:$input, I64Attr:$dim,
                       Optional<Index>:$size);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `along` $dim (`size` $size^)? attr-dict `:` type($input) `->`
    type($result)
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Type":$result, "::mlir::Value":$input,
                   "::mlir::IntegerAttr":$dim), [{
      build($_builder, $_state, result, input, dim, ::mlir::Value());
    }]>
  ];
  let hasFolder = 1;
}

def TP_AllToAllOp : TP_CollectiveOp<"all_to_all"> {
  let summary = "move from a split along one dimension to a split along another";
  let description = [{
    Every device holds its shard of a tensor along `concat` and receives its
    shard of the same tensor along `split`: device r sends device q the part
    of its shard that falls in q's slice of `split`. It equals
    `tp.all_slice` along `split` of `tp.all_gather` along `concat`, with 1/D
    of the traffic. The planner uses it to move between a batch-split and a
    feature-split activation. With D = 2, a 4 x 4 tensor split by rows
    becomes split by columns:

    ```
    device 0: rows 0-1, columns 0-3      device 0: rows 0-3, columns 0-1
    device 1: rows 2-3, columns 0-3 ---> device 1: rows 0-3, columns 2-3
    ```

    ```mlir
    %f = tp.all_to_all %rows split 1 concat 0 size %b
        : tensor<?x256xf32> -> tensor<?x128xf32>
    ```

    `size` is the full extent of `concat`, required when it is dynamic in
    the result (as in `tp.all_gather`).

    Constraints:
    - an enclosing module carries a `tp.mesh`;
    - operand and result have the same rank and element type; `split` and
      `concat` are two different dimensions of them;
    - along `concat` the operand is the local shard of the result, along
      `split` the result is the local shard of the operand (the balanced
      rule); every other dimension is the same;
    - `size` is given only when the result's `concat` dimension is dynamic.
  }];
  let arguments = (ins AnyRankedTensor:$input, I64Attr:$split,
                       I64Attr:$concat, Optional<Index>:$size);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `split` $split `concat` $concat (`size` $size^)? attr-dict `:`
    type($input) `->` type($result)
  }];
  let hasFolder = 1;
}

def TP_AllSliceOp : TP_CollectiveOp<"all_slice"> {
  let summary = "take this device's slice of a replicated tensor";
  let description = [{
    Every device holds the same tensor and keeps its own slice along `dim`
    under the balanced rule. No data moves between devices.

    ```
    device 0: [x0 .. x9]           device 0: [x0 x1 x2 x3]
    device 1: [x0 .. x9]     --->  device 1: [x4 x5 x6]
    device 2: [x0 .. x9]           device 2: [x7 x8 x9]
    ```

    ```mlir
    %shard = tp.all_slice %full along 1 : tensor<8x10xf32> -> tensor<8x?xf32>
    ```

    Constraints:
    - an enclosing module carries a `tp.mesh`;
    - operand and result have the same rank and element type, and `dim` is
      one of their dimensions;
    - every other dimension is the same in operand and result;
    - the result's `dim` is the local size of the operand's `dim` under the
      balanced rule: static only when D divides it.
  }];
  let arguments = (ins AnyRankedTensor:$input, I64Attr:$dim);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `along` $dim attr-dict `:` type($input) `->` type($result)
  }];
  let hasFolder = 1;
}

def TP_AllReduceOp : TP_CollectiveOp<"all_reduce",
    [SameOperandsAndResultType]> {
  let summary = "combine every device's tensor elementwise";
  let description = [{
    Every device contributes a tensor of the same shape and receives the
    elementwise reduction (`sum`, `prod`, `max` or `min`) over all devices.
    A column-sharded layer sums its partial products this way.

    ```
    device 0: [p0 q0]              device 0: [p0+p1 q0+q1]
    device 1: [p1 q1]        --->  device 1: [p0+p1 q0+q1]
    ```

    ```mlir
    %sum = tp.all_reduce sum %partial : tensor<8x10xf32>
    ```

    Constraints:
    - an enclosing module carries a `tp.mesh`;
    - operand and result have the same type.
  }];
  let arguments = (ins TP_ReductionKindAttr:$kind, AnyRankedTensor:$input);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    custom<EnumKeyword>($kind) $input attr-dict `:` type($input)
  }];
  let hasFolder = 1;
}

def TP_ReduceScatterOp : TP_CollectiveOp<"reduce_scatter"> {
  let summary = "reduce across devices, each device keeping its slice";
  let description = [{
    The elementwise reduction of every device's tensor, of which each device
    receives only its slice along `dim` (the balanced rule). It equals
    `tp.all_slice` of `tp.all_reduce`, with 1/D of the traffic.

    ```
    device 0: [p0 q0 r0]           device 0: [p0+p1 q0+q1]
    device 1: [p1 q1 r1]     --->  device 1: [r0+r1]
    ```

    ```mlir
    %s = tp.reduce_scatter sum %partial along 1 : tensor<8x10xf32> -> tensor<8x?xf32>
    ```

    Constraints:
    - an enclosing module carries a `tp.mesh`;
    - operand and result have the same rank and element type, and `dim` is
      one of their dimensions;
    - every other dimension is the same in operand and result;
    - the result's `dim` is the local size of the operand's `dim` under the
      balanced rule.
  }];
  let arguments = (ins TP_ReductionKindAttr:$kind, AnyRankedTensor:$input,
                       I64Attr:$dim);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    custom<EnumKeyword>($kind) $input `along` $dim attr-dict `:`
    type($input) `->` type($result)
  }];
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Asynchronous collectives
//===----------------------------------------------------------------------===//

// A start op begins a collective and returns at once; `tp.wait` completes it
// and gives its tensor. Between the two, the device computes (the next chunk
// of a layer, say: tp-overlap-collectives). No trait says Pure: a start
// communicates, and its order against other collectives is the program's.
class TP_StartOp<string mnemonic, list<Trait> traits = []>
    : TP_Op<mnemonic, !listconcat(traits, [TP_SPMDOnly])> {
  let hasVerifier = 1;
  let results = (outs TP_PendingType:$pending);
  let extraClassDeclaration = [{
    /// The tensor the collective gives when complete.
    ::mlir::RankedTensorType getValueType() {
      return ::llvm::cast<::mlir::tp::PendingType>(getPending().getType())
          .getValueType();
    }
  }];
}

def TP_AllReduceStartOp : TP_StartOp<"all_reduce_start"> {
  let summary = "start a tp.all_reduce; tp.wait completes it";
  let description = [{
    `tp.all_reduce` in two steps: this op starts the reduction and returns
    at once; `tp.wait` on its result completes it and gives the reduced
    tensor. The device computes in between.

    ```mlir
    %h = tp.all_reduce_start sum %partial : tensor<?x256xf32> -> !tp.pending<tensor<?x256xf32>>
    ...
    %sum = tp.wait %h : !tp.pending<tensor<?x256xf32>>
    ```

    Constraints:
    - the constraints of `tp.all_reduce`, with the pending value's tensor as
      the result;
    - the result is waited for exactly once, by a `tp.wait` in the same
      block;
    - collectives are waited for in the order they start, with at most 3
      in flight at once (started and not yet waited for), those started
      inside regions between a start and its wait included.
  }];
  let arguments = (ins TP_ReductionKindAttr:$kind, AnyRankedTensor:$input);
  let assemblyFormat = [{
    custom<EnumKeyword>($kind) $input attr-dict `:` type($input) `->`
    qualified(type($pending))
  }];
}

def TP_AllGatherStartOp : TP_StartOp<"all_gather_start"> {
  let summary = "start a tp.all_gather; tp.wait completes it";
  let description = [{
    `tp.all_gather` in two steps, as `tp.all_reduce_start` is
    `tp.all_reduce`:

    ```mlir
    %h = tp.all_gather_start %shard along 1 : tensor<?x128xf32> -> !tp.pending<tensor<?x256xf32>>
    ...
    %full = tp.wait %h : !tp.pending<tensor<?x256xf32>>
    ```

    Constraints:
    - the constraints of `tp.all_gather`, with the pending value's tensor as
      the result;
    - the result is waited for exactly once, by a `tp.wait` in the same
      block;
    - collectives are waited for in the order they start, with at most 3
      in flight at once (started and not yet waited for), those started
      inside regions between a start and its wait included.
  }];
  let arguments = (ins AnyRankedTensor:$input, I64Attr:$dim,
                       Optional<Index>:$size);
  let assemblyFormat = [{
    $input `along` $dim (`size` $size^)? attr-dict `:` type($input) `->`
    qualified(type($pending))
  }];
}

def TP_WaitOp : TP_Op<"wait", [TP_SPMDOnly,
    TypesMatchWith<"the result is the pending value's tensor", "pending",
                   "result",
                   "::llvm::cast<::mlir::tp::PendingType>($_self).getValueType()">]> {
  let summary = "complete an asynchronous collective and give its tensor";
  let description = [{
    Waits until the collective that `pending` started is complete on this
    device and returns its tensor. Every device waits for its collectives
    in the order it started them.

    Constraints:
    - `pending` is the result of a start op in the same block.
  }];
  let arguments = (ins TP_PendingType:$pending);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$pending attr-dict `:` qualified(type($pending))";
  let hasVerifier = 1;
  // On a one-device mesh, the wait and its start are the start's operand.
  let hasCanonicalizeMethod = 1;
}

#endif // TP_MLIR_DIALECT_TP_IR_TPOPS_TD
