//===- TPTypes.td - tp dialect types -----------------------*- tablegen -*-===//

#ifndef TP_MLIR_DIALECT_TP_IR_TPTYPES_TD
#define TP_MLIR_DIALECT_TP_IR_TPTYPES_TD

include "mlir/IR/AttrTypeBase.td"
include "tp-mlir/Dialect/TP/IR/TPDialect.td"

def TP_PendingType : TypeDef<TP_Dialect, "Pending"> {
  let mnemonic = "pending";
  let summary = "a collective in flight, and the tensor it will give";
  let description = [{
    What an asynchronous collective (`tp.all_reduce_start`,
    `tp.all_gather_start`) returns: the communication it started, which
    proceeds while the device computes, and the type of the tensor that
    `tp.wait` gives when it is complete.

    ```mlir
    !tp.pending<tensor<?x256xf32>>
    ```
  }];
  let parameters = (ins "::mlir::RankedTensorType":$valueType);
  let builders = [
    TypeBuilderWithInferredContext<(ins "::mlir::RankedTensorType":$valueType), [{
      return $_get(valueType.getContext(), valueType);
    }]>
  ];
  let assemblyFormat = "`<` $valueType `>`";
}

#endif // TP_MLIR_DIALECT_TP_IR_TPTYPES_TD
