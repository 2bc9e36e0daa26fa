//===- TPAttrs.td - tp dialect attributes ------------------*- tablegen -*-===//

#ifndef TP_MLIR_DIALECT_TP_IR_TPATTRS_TD
#define TP_MLIR_DIALECT_TP_IR_TPATTRS_TD

include "mlir/IR/AttrTypeBase.td"
include "tp-mlir/Dialect/TP/IR/TPDialect.td"
include "tp-mlir/Dialect/TP/IR/TPEnums.td"

class TP_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<TP_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def TP_MeshAttr : TP_Attr<"Mesh", "mesh"> {
  let summary = "the device mesh a module is partitioned across";
  let description = [{
    The shape of the device mesh, one entry per mesh axis. A module carries it
    as `tp.mesh`:

    ```mlir
    module attributes {tp.mesh = #tp.mesh<shape = [4]>} { ... }
    ```

    The shape is a list so that 2-D meshes (tensor x data parallelism) can be
    added without changing the syntax; today exactly one axis is accepted.

    Constraints:
    - exactly one axis (2-D meshes are not supported yet);
    - every axis holds at least one device.
  }];
  let parameters = (ins ArrayRefParameter<"int64_t", "devices per axis">:$shape);
  let assemblyFormat = "`<` `shape` `=` `[` $shape `]` `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Total number of devices in the mesh.
    int64_t getNumDevices() const;
  }];
}

def TP_ShardAttr : TP_Attr<"Shard", "shard"> {
  let summary = "how a checkpoint tensor is sliced across the ranks";
  let description = [{
    The weight sharding manifest of one argument of a partitioned function.
    `shape` is the full checkpoint tensor's shape; an extent it does not fix
    (a dynamic batch) is written `?`, and is never the split one. When `dim`
    is present the
    tensor is split along it, and rank r holds the slice
    `[offsets[r], offsets[r] + sizes[r])`; otherwise every rank holds the
    whole tensor (replicated). A loader reads only the slice of its rank, so
    memory per device falls as 1/D.

    ```mlir
    func.func @f(%w: tensor<?x8xf32> {tp.name = "fc.weight",
        tp.shard = #tp.shard<shape = [10, 8], dim = 0,
                             offsets = [0, 4, 7], sizes = [4, 3, 3]>}, ...)
    ```

    Constraints:
    - `dim`, when present, is a dimension of `shape`;
    - there is one offset and one size per rank of the mesh;
    - the slices are contiguous and in rank order: `offsets[0] = 0`,
      `offsets[r + 1] = offsets[r] + sizes[r]`, and they cover
      `shape[dim]` exactly;
    - the slices follow the balanced rule: of S elements over D ranks, the
      first S mod D ranks hold S / D + 1 and the others S / D, as every
      partitioning pass, collective and loader assumes;
    - the argument's (local) type has `shape` in every other dimension, and
      in `dim` either the common size of all slices or a dynamic size.
  }];
  let parameters = (ins
    ArrayRefParameter<"int64_t", "full tensor shape">:$shape,
    OptionalParameter<"std::optional<int64_t>", "split dimension">:$dim,
    OptionalArrayRefParameter<"int64_t", "slice offset per rank">:$offsets,
    OptionalArrayRefParameter<"int64_t", "slice size per rank">:$sizes
  );
  let assemblyFormat = [{
    `<` `shape` `=` custom<ShardShape>($shape)
    (`,` `dim` `=` $dim^ `,` `offsets` `=` `[` $offsets `]`
     `,` `sizes` `=` `[` $sizes `]`)? `>`
  }];
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    bool isReplicated() const { return !getDim().has_value(); }
    /// The shape of rank `rank`'s slice.
    ::llvm::SmallVector<int64_t> getLocalShape(int64_t rank) const;
  }];
}

#endif // TP_MLIR_DIALECT_TP_IR_TPATTRS_TD
