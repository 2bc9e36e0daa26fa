//===- Evaluator.cpp - reference evaluator for tp functions ---------------===//

#include "tp-mlir/Evaluator/Evaluator.h"

#include "tp-mlir/Dialect/TP/IR/TPOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;
using namespace mlir::tp;

namespace {
/// Maps SSA values to the tensors they hold while one function runs.
class Interpreter {
public:
  LogicalResult bind(Value value, Tensor tensor) {
    values[value] = std::move(tensor);
    return success();
  }
  const Tensor &lookup(Value value) const {
    auto it = values.find(value);
    assert(it != values.end() && "value used before it was defined");
    return it->second;
  }

  LogicalResult run(Operation *op);
  SmallVector<Tensor> results;

private:
  LogicalResult runLinear(LinearOp op);
  LogicalResult runActivation(ActivationOp op);
  LogicalResult runConstant(arith::ConstantOp op);
  LogicalResult runReturn(Operation *op);

  llvm::DenseMap<Value, Tensor> values;
};
} // namespace

/// Checks a runtime tensor against a (possibly partly dynamic) tensor type.
static bool matchesType(const Tensor &t, RankedTensorType type) {
  if (t.getRank() != type.getRank())
    return false;
  for (auto [size, expected] : llvm::zip(t.shape, type.getShape()))
    if (!ShapedType::isDynamic(expected) && size != expected)
      return false;
  return true;
}

LogicalResult Interpreter::runLinear(LinearOp op) {
  const Tensor &x = lookup(op.getInput());
  const Tensor &w = lookup(op.getWeight());
  const Tensor *b = op.getBias() ? &lookup(op.getBias()) : nullptr;
  int64_t batch = x.shape[0], k = x.shape[1], n = w.shape[0];
  if (w.shape[1] != k)
    return op.emitOpError() << "at run time: input has " << k
                            << " in_features but weight has " << w.shape[1];
  Tensor y({batch, n});
  ActivationKind act = op.getActivation();
  for (int64_t i = 0; i < batch; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      // Accumulate in double: the oracle should be more accurate than any
      // f32 code it judges.
      double acc = b ? b->data[j] : 0.0;
      for (int64_t kk = 0; kk < k; ++kk)
        acc += double(x.data[i * k + kk]) * double(w.data[j * k + kk]);
      y.data[i * n + j] = applyActivation(act, static_cast<float>(acc));
    }
  }
  return bind(op.getResult(), std::move(y));
}

LogicalResult Interpreter::runActivation(ActivationOp op) {
  Tensor y = lookup(op.getInput());
  for (float &v : y.data)
    v = applyActivation(op.getKind(), v);
  return bind(op.getResult(), std::move(y));
}

LogicalResult Interpreter::runConstant(arith::ConstantOp op) {
  auto dense = dyn_cast<DenseElementsAttr>(op.getValue());
  auto type = dyn_cast<RankedTensorType>(op.getType());
  if (!dense || !type || !type.getElementType().isF32())
    return op.emitOpError()
           << "the reference evaluator supports only dense f32 tensor "
              "constants, found "
           << op.getType();
  std::vector<float> values;
  values.reserve(type.getNumElements());
  for (float v : dense.getValues<float>())
    values.push_back(v);
  return bind(op.getResult(), Tensor(type.getShape(), std::move(values)));
}

LogicalResult Interpreter::runReturn(Operation *op) {
  for (Value v : op->getOperands())
    results.push_back(lookup(v));
  return success();
}

LogicalResult Interpreter::run(Operation *op) {
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](LinearOp op) { return runLinear(op); })
      .Case([&](ActivationOp op) { return runActivation(op); })
      .Case([&](arith::ConstantOp op) { return runConstant(op); })
      .Case([&](func::ReturnOp op) { return runReturn(op); })
      .Default([](Operation *op) {
        return op->emitOpError()
               << "is not supported by the reference evaluator";
      });
}

FailureOr<SmallVector<Tensor>> mlir::tp::evaluate(FunctionOpInterface fn,
                                                  ArrayRef<Tensor> args) {
  if (fn.isExternal())
    return fn.emitError() << "cannot evaluate a function without a body";
  Region &body = fn.getFunctionBody();
  if (!body.hasOneBlock())
    return fn.emitError()
           << "the reference evaluator needs a single-block function, found "
           << body.getBlocks().size() << " blocks";
  Block &block = body.front();
  if (args.size() != block.getNumArguments())
    return fn.emitError() << "expected " << block.getNumArguments()
                          << " arguments, got " << args.size();

  Interpreter interp;
  for (auto [index, arg] : llvm::enumerate(block.getArguments())) {
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (!type || !type.getElementType().isF32())
      return fn.emitError()
             << "argument #" << index << " has type " << arg.getType()
             << "; the evaluator accepts f32 tensors only";
    if (!matchesType(args[index], type))
      return fn.emitError() << "argument #" << index << ": expected a tensor "
                            << "matching " << type << ", got shape "
                            << args[index].shapeString();
    (void)interp.bind(arg, args[index]);
  }
  for (Operation &op : block)
    if (failed(interp.run(&op)))
      return failure();
  return std::move(interp.results);
}

OwningOpRef<ModuleOp> mlir::tp::parseModel(MLIRContext &context,
                                           llvm::SourceMgr &sourceMgr) {
  ParserConfig config(&context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, config);
  if (!module || failed(verify(*module)))
    return nullptr;
  return module;
}

OwningOpRef<ModuleOp> mlir::tp::parseModelFile(MLIRContext &context,
                                               StringRef path) {
  std::string error;
  auto buffer = openInputFile(path, &error);
  if (!buffer) {
    emitError(UnknownLoc::get(&context)) << error;
    return nullptr;
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
  return parseModel(context, sourceMgr);
}

FunctionOpInterface mlir::tp::lookupEntry(ModuleOp module, StringRef name) {
  if (!name.empty()) {
    auto fn = dyn_cast_or_null<FunctionOpInterface>(module.lookupSymbol(name));
    if (!fn)
      module.emitError() << "no function named '" << name << "' in the module";
    return fn;
  }
  FunctionOpInterface found;
  for (auto fn : module.getOps<FunctionOpInterface>()) {
    if (fn.isPrivate() || fn.isExternal())
      continue;
    if (found) {
      module.emitError() << "the module has several public functions ('"
                         << found.getName() << "', '" << fn.getName()
                         << "'); name the entry function";
      return nullptr;
    }
    found = fn;
  }
  if (!found)
    module.emitError() << "the module has no public function with a body";
  return found;
}

FailureOr<SmallVector<Tensor>> mlir::tp::evaluateFile(MLIRContext &context,
                                                      StringRef path,
                                                      StringRef entry,
                                                      ArrayRef<Tensor> args) {
  OwningOpRef<ModuleOp> module = parseModelFile(context, path);
  if (!module)
    return failure();
  FunctionOpInterface fn = lookupEntry(*module, entry);
  if (!fn)
    return failure();
  return evaluate(fn, args);
}
