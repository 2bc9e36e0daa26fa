//===- TPEnums.td - tp dialect enums -----------------------*- tablegen -*-===//

#ifndef TP_MLIR_DIALECT_TP_IR_TPENUMS_TD
#define TP_MLIR_DIALECT_TP_IR_TPENUMS_TD

include "mlir/IR/EnumAttr.td"
include "tp-mlir/Dialect/TP/IR/TPDialect.td"

def TP_ActivationKind : I32EnumAttr<"ActivationKind",
    "the nonlinearity sigma of a layer", [
      I32EnumAttrCase<"identity", 0>,
      I32EnumAttrCase<"relu", 1>,
      // Exact GELU: x * Phi(x) = 0.5 x (1 + erf(x / sqrt(2))).
      I32EnumAttrCase<"gelu", 2>,
      // GELU, tanh approximation (PyTorch's approximate='tanh').
      I32EnumAttrCase<"gelu_tanh", 3>,
      I32EnumAttrCase<"sigmoid", 4>,
      I32EnumAttrCase<"tanh", 5>,
      // x * sigmoid(x), also called swish.
      I32EnumAttrCase<"silu", 6>,
      // The kinds below take parameters, written after the keyword
      // (`leaky_relu(0.2)`), PyTorch's defaults when omitted; see
      // TPActivation.h for their definitions.
      // x if x > 0, else negative_slope * x.
      I32EnumAttrCase<"leaky_relu", 7>,
      // x if x > 0, else alpha * (exp(x) - 1).
      I32EnumAttrCase<"elu", 8>,
      // 1.0507 * elu(x) with alpha 1.6733 (no parameters).
      I32EnumAttrCase<"selu", 9>,
      // log(1 + exp(beta * x)) / beta; x where beta * x > threshold.
      I32EnumAttrCase<"softplus", 10>,
      // x * tanh(softplus(x)) (no parameters).
      I32EnumAttrCase<"mish", 11>,
      // min(max(x, min_val), max_val); ReLU6 is hardtanh(0, 6).
      I32EnumAttrCase<"hardtanh", 12>,
      // min(max(x + 3, 0), 6) / 6 (no parameters).
      I32EnumAttrCase<"hardsigmoid", 13>,
      // x * min(max(x + 3, 0), 6) / 6 (no parameters).
      I32EnumAttrCase<"hardswish", 14>
    ]> {
  let cppNamespace = "::mlir::tp";
  let genSpecializedAttr = 0;
}

// On their own the enum attributes print as `#tp.activation<relu>`; inside
// op syntax the `custom<EnumKeyword>` directive prints the bare keyword.
class TP_EnumAttr<EnumAttrInfo info, string name>
    : EnumAttr<TP_Dialect, info, name> {
  let assemblyFormat = "`<` $value `>`";
}

def TP_ActivationKindAttr : TP_EnumAttr<TP_ActivationKind, "activation">;

def TP_ShardingKind : I32EnumAttr<"ShardingKind",
    "how a linear layer's weight is split across the mesh", [
      // Every device holds the whole layer and computes the whole output.
      I32EnumAttrCase<"replicated", 0>,
      // Rows of W (output features) are split; b is split with them.
      I32EnumAttrCase<"row", 1>,
      // Columns of W (input features) are split; partial sums are reduced.
      I32EnumAttrCase<"column", 2>,
      // The batch (rows of x) is split; every device holds the whole layer
      // and computes its rows of the output (data parallelism).
      I32EnumAttrCase<"batch", 3>
    ]> {
  let cppNamespace = "::mlir::tp";
  let genSpecializedAttr = 0;
}

def TP_ShardingKindAttr : TP_EnumAttr<TP_ShardingKind, "sharding">;

def TP_ReductionKind : I32EnumAttr<"ReductionKind",
    "how a collective combines the values of the devices", [
      I32EnumAttrCase<"sum", 0>,
      I32EnumAttrCase<"prod", 1>,
      I32EnumAttrCase<"max", 2>,
      I32EnumAttrCase<"min", 3>
    ]> {
  let cppNamespace = "::mlir::tp";
  let genSpecializedAttr = 0;
}

def TP_ReductionKindAttr : TP_EnumAttr<TP_ReductionKind, "reduction">;

#endif // TP_MLIR_DIALECT_TP_IR_TPENUMS_TD
