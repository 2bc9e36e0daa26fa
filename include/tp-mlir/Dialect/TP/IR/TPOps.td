//===- TPOps.td - tp dialect operations --------------------*- tablegen -*-===//

#ifndef TP_MLIR_DIALECT_TP_IR_TPOPS_TD
#define TP_MLIR_DIALECT_TP_IR_TPOPS_TD

include "mlir/IR/OpBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "tp-mlir/Dialect/TP/IR/TPDialect.td"
include "tp-mlir/Dialect/TP/IR/TPEnums.td"
include "tp-mlir/Dialect/TP/IR/TPAttrs.td"

//===----------------------------------------------------------------------===//
// Model-level ops
//===----------------------------------------------------------------------===//

def TP_LinearOp : TP_Op<"linear", [Pure]> {
  let summary = "dense layer: y = sigma(x W^T + b)";
  let description = [{
    One dense layer in PyTorch's `nn.Linear` layout. `input` is the batch of
    activations `x : B x K`, `weight` is `W : N x K` (out_features x
    in_features), and the optional `bias` is `b : N`. The result is
    `y = sigma(x W^T + b) : B x N`, where `sigma` is the fused `activation`
    (identity when omitted, and then not printed).

    The optional `sharding` says how the layer is split across the device
    mesh: `row` (output features), `column` (input features) or
    `replicated`. A layer without one is not yet planned.

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
    OptionalAttr<TP_ShardingKindAttr>:$sharding
  );
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)?
    (`activation` `(` custom<EnumKeyword>($activation)^ `)`)?
    (`sharding` `(` custom<EnumKeyword>($sharding)^ `)`)?
    attr-dict `:` type($input) `,` type($weight) (`,` type($bias)^)?
    `->` type($result)
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Value":$input, "::mlir::Value":$weight,
                   "::mlir::Value":$bias,
                   CArg<"::mlir::tp::ActivationKind",
                        "::mlir::tp::ActivationKind::identity">:$activation)>
  ];
  let extraClassDeclaration = [{
    int64_t getInFeatures() { return getWeight().getType().getDimSize(1); }
    int64_t getOutFeatures() { return getWeight().getType().getDimSize(0); }
  }];
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

    Example:

    ```mlir
    %y = tp.activation gelu_tanh %x : tensor<8x256xf32>
    ```

    `identity` folds away, and `relu` of `relu` is one `relu`. The
    `tp-fuse-activations` pass moves an activation into the producing
    `tp.linear`.

    Constraints:
    - the operand and the result have the same type;
    - the element type is `f32`;
    - no static dimension is zero.
  }];
  let arguments = (ins TP_ActivationKindAttr:$kind, AnyRankedTensor:$input);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat =
      "custom<EnumKeyword>($kind) $input attr-dict `:` type($input)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

#endif // TP_MLIR_DIALECT_TP_IR_TPOPS_TD
