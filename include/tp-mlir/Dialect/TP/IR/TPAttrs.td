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

#endif // TP_MLIR_DIALECT_TP_IR_TPATTRS_TD
