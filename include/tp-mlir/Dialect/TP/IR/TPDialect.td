//===- TPDialect.td - tp dialect definition ----------------*- tablegen -*-===//
//
// The tp dialect describes a chain of dense layers and its tensor-parallel
// partitioning across a mesh of devices.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_DIALECT_TP_IR_TPDIALECT_TD
#define TP_MLIR_DIALECT_TP_IR_TPDIALECT_TD

include "mlir/IR/OpBase.td"

def TP_Dialect : Dialect {
  let name = "tp";
  let cppNamespace = "::mlir::tp";
  let summary = "Tensor-parallel chains of dense layers";
  let description = [{
    The `tp` dialect models a chain of dense layers

        y = f_n(... f_1(x)),   f_i(x) = sigma_i(x W_i^T + b_i)

    and, at later levels, its tensor-parallel partitioning across a mesh of
    devices with explicit collectives.

    Layout convention: activations are batch-major (`x : tensor<B x K>`), and
    weights use PyTorch's `nn.Linear` layout (`W : tensor<N x K>`, out x in;
    `b : tensor<N>`), so checkpoints load unchanged.

    Element types: the dialect computes in `f32`. `f16` and `bf16` operands
    are rejected by the verifiers with a message that says so, rather than
    being carried through IR that no backend can execute.

    Dynamic dimensions: only the batch dimension `B` of an activation may be
    dynamic (`tensor<?x784xf32>`). Feature dimensions and weights are static,
    because partitioning decisions and weight shards depend on them. No
    static dimension may be zero.

    The device mesh is a module attribute, `tp.mesh = #tp.mesh<shape = [D]>`.
    Weight arguments carry their checkpoint names as `tp.name` argument
    attributes.
  }];
  let useDefaultAttributePrinterParser = 1;
  let useDefaultTypePrinterParser = 1;
  let hasOperationAttrVerify = 1;
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
  let extraClassDeclaration = [{
    void registerAttributes();
    void registerTypes();

    /// Name of the module attribute that holds the device mesh.
    static constexpr ::llvm::StringLiteral kMeshAttrName = "tp.mesh";
    /// Name of the argument attribute that holds a checkpoint tensor name.
    static constexpr ::llvm::StringLiteral kNameAttrName = "tp.name";
    /// Name of the argument attribute that holds a weight's manifest entry.
    static constexpr ::llvm::StringLiteral kShardAttrName = "tp.shard";
    /// An argument's manifest before shard-partition makes its type local
    /// (written by tp-prepare-shard, made tp.shard by convert-shard-to-tp).
    static constexpr ::llvm::StringLiteral kPendingShardAttrName =
        "tp.pending_shard";
    /// Name of the unit attribute that marks a partitioned (SPMD) function.
    static constexpr ::llvm::StringLiteral kSPMDAttrName = "tp.spmd";
    /// Name of the function attribute that names its profiled regions.
    static constexpr ::llvm::StringLiteral kProfileAttrName = "tp.profile";
    /// Name of the unit attribute on a linalg.matmul that the generated
    /// matmul leaves to BLAS (the single-row branch of tp-tile-matmuls'
    /// kernels with matmul=auto).
    static constexpr ::llvm::StringLiteral kLeftToBLASAttrName =
        "tp.left_to_blas";
    /// Name of the unit attribute on the linalg.pack, linalg.mmt4d,
    /// linalg.unpack and packed-result linalg.fill ops that tp-tile-matmuls
    /// makes of a matmul: its schedule transforms these and leaves any
    /// other such op alone. Internal to that pass: a marked fill is taken
    /// for its packed result's.
    static constexpr ::llvm::StringLiteral kMatmulCodegenAttrName =
        "tp.matmul_codegen";
  }];
}

class TP_Op<string mnemonic, list<Trait> traits = []>
    : Op<TP_Dialect, mnemonic, traits>;

#endif // TP_MLIR_DIALECT_TP_IR_TPDIALECT_TD
