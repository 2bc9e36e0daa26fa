//===- ArgumentSource.cpp - each rank's arguments, only its shards --------===//

#include "tp-mlir/Driver/Driver.h"

#include "tp-mlir/Dialect/TP/IR/TPDialect.h"
#include "tp-mlir/Support/Limits.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <set>

using namespace mlir;
using namespace mlir::tp;

static llvm::Error makeError(const std::string &message) {
  return llvm::createStringError(std::errc::invalid_argument, "%s",
                                 message.c_str());
}

/// Scale of the random values for argument `arg`: PyTorch's nn.Linear
/// default, uniform in +-1/sqrt(in_features), for weights and biases; 1 for
/// activations.
/// In a shard program, the B operand of a linalg.matmul (through its
/// shard.shard annotations) is scaled the same way by its reduction size.
static float initScale(BlockArgument arg) {
  SmallVector<Value> values{arg};
  while (!values.empty()) {
    Value value = values.pop_back_val();
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      auto linear = dyn_cast<LinearOp>(user);
      if (linear && (linear.getWeight() == value || linear.getBias() == value))
        return 1.0f / std::sqrt(static_cast<float>(linear.getInFeatures()));
      if (auto annotation = dyn_cast<shard::ShardOp>(user))
        values.push_back(annotation.getResult());
      auto matmul = dyn_cast<linalg::MatmulOp>(user);
      if (matmul && use.getOperandNumber() == 1) {
        auto lhs = cast<ShapedType>(matmul.getInputs()[0].getType());
        int64_t k = lhs.getRank() == 2 ? lhs.getDimSize(1) : 0;
        if (k > 0)
          return 1.0f / std::sqrt(static_cast<float>(k));
      }
    }
  }
  return 1.0f;
}

/// Hands the slice [offset, offset + size) along `dim` of the row-major
/// tensor `data` of `shape` (the whole tensor without a dim) to `sink`, one
/// contiguous run at a time.
static void forEachRun(const float *data, ArrayRef<int64_t> shape,
                       std::optional<int64_t> dim, int64_t offset, int64_t size,
                       ArgumentWriter::Sink sink) {
  if (!dim) {
    if (int64_t n = numElements(shape))
      sink(0, reinterpret_cast<const char *>(data), 4 * n);
    return;
  }
  int64_t outer = numElements(shape.take_front(*dim));
  int64_t extent = shape[*dim];
  int64_t inner = numElements(shape.drop_front(*dim + 1));
  int64_t run = size * inner;
  if (run == 0)
    return;
  for (int64_t o = 0; o < outer; ++o)
    sink(4 * o * run,
         reinterpret_cast<const char *>(data + (o * extent + offset) * inner),
         4 * run);
}

static std::string typeString(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << type;
  return text;
}

llvm::Expected<ArgumentSource>
ArgumentSource::create(const Model &model, const ArgumentOptions &options) {
  if (options.batch < 1)
    return makeError(
        fmt::format("the batch must be at least 1, got {}", options.batch));
  ArgumentSource source;
  source.model = &model;
  source.options = options;
  FunctionOpInterface fn = model.getEntry();

  if (!options.buffers.empty()) {
    // Every argument from host memory: the shapes must fit the types, and
    // the dynamic (batch) dimensions agree.
    if (options.buffers.size() != fn.getNumArguments())
      return makeError(fmt::format("@{} takes {} arguments, {} buffers were "
                                   "given",
                                   fn.getName().str(), fn.getNumArguments(),
                                   options.buffers.size()));
    std::optional<int64_t> batch;
    int64_t batchBuffer = -1;
    for (BlockArgument arg : fn.getArguments()) {
      int64_t i = arg.getArgNumber();
      const HostTensorView &view = options.buffers[i];
      auto type = cast<RankedTensorType>(arg.getType());
      // Why the buffer does not fit the argument; empty if it does.
      std::string why;
      if (static_cast<int64_t>(view.shape.size()) != type.getRank())
        why = fmt::format("has {} dimension{}", view.shape.size(),
                          view.shape.size() == 1 ? "" : "s");
      for (int64_t d = 0; why.empty() && d < type.getRank(); ++d) {
        int64_t extent = view.shape[d];
        if (!type.isDynamicDim(d)) {
          if (type.getDimSize(d) != extent)
            why = fmt::format("has {} in dimension {}", extent, d);
        } else if (extent < 1) {
          why = fmt::format("has a batch of {} (dimension {}); a batch is at "
                            "least 1",
                            extent, d);
        } else if (batch && *batch != extent) {
          why = fmt::format("has a batch of {} (dimension {}), buffer #{} "
                            "one of {}",
                            extent, d, batchBuffer, *batch);
        } else if (!batch) {
          batch = extent;
          batchBuffer = i;
        }
      }
      if (why.empty() && !view.data && numElements(view.shape) != 0)
        why = "has no data";
      if (!why.empty())
        return makeError(fmt::format(
            "buffer #{} has shape {}, but argument #{} of @{} is {}: it {}", i,
            formatShape(view.shape), i, fn.getName().str(), typeString(type),
            why));
      if (!getCheckedNumElements(view.shape))
        return makeError(fmt::format(
            "buffer #{} has more than {} elements (tp-mlir's limit)",
            arg.getArgNumber(), kMaxTensorElements));
      source.fullShapes.push_back(view.shape);
    }
    if (batch)
      source.options.batch = *batch;
    return source;
  }

  if (!options.inputPath.empty()) {
    unsigned inputs = model.getNumInputs();
    if (inputs != 1)
      return makeError(fmt::format(
          "--input gives one tensor, but @{} has {} arguments without a "
          "tp.name: the model's input is the one argument without one; name "
          "each weight and bias with {{tp.name = \"...\"}} (random values "
          "are made for every argument otherwise)",
          fn.getName().str(), inputs));
    llvm::Expected<Tensor> loaded = readNpy(options.inputPath);
    if (!loaded)
      return loaded.takeError();
    source.input = std::make_shared<Tensor>(std::move(*loaded));
  }
  if (!options.weightsPath.empty()) {
    auto opened = SafeTensorsFile::open(options.weightsPath);
    if (!opened)
      return opened.takeError();
    source.weights = std::move(*opened);
  }

  // Full argument shapes; a dynamic batch takes the input's or the option's.
  for (BlockArgument arg : fn.getArguments()) {
    auto type = cast<RankedTensorType>(arg.getType());
    SmallVector<int64_t> shape(type.getShape());
    if (source.input && !model.isWeight(arg.getArgNumber())) {
      const Tensor &in = *source.input;
      // A single example without its batch dimension is a common slip.
      if (in.getRank() + 1 == type.getRank() &&
          llvm::equal(ArrayRef<int64_t>(in.shape),
                      type.getShape().drop_front()))
        return makeError(fmt::format(
            "{} has shape {}, but the model's input is {}: add the batch "
            "dimension (x[None] or np.expand_dims(x, 0) in NumPy)",
            options.inputPath, in.shapeString(), typeString(type)));
      bool fits = in.getRank() == type.getRank();
      for (int64_t d = 0; fits && d < type.getRank(); ++d)
        fits = type.isDynamicDim(d) || type.getDimSize(d) == in.shape[d];
      if (!fits) {
        // Images for a model whose nn.Flatten the exporter dropped: the
        // trailing dimensions hold the model's features.
        std::string hint;
        if (type.getRank() == 2 && in.getRank() > 2 && !type.isDynamicDim(1) &&
            (type.isDynamicDim(0) || type.getDimSize(0) == in.shape[0]) &&
            getCheckedNumElements(ArrayRef<int64_t>(in.shape).drop_front()) ==
                type.getDimSize(1))
          hint = fmt::format(": flatten each example first "
                             "(x.reshape({}, -1) in NumPy), as the model's "
                             "flatten did",
                             in.shape[0]);
        return makeError(fmt::format("{} has shape {}, but the model's input "
                                     "is {}{}",
                                     options.inputPath, in.shapeString(),
                                     typeString(type), hint));
      }
      shape.assign(in.shape.begin(), in.shape.end());
    }
    for (int64_t &d : shape)
      if (ShapedType::isDynamic(d)) {
        d = options.batch;
        source.batchUsed = true;
      }
    // A named argument's dynamic sizes come from the batch option too,
    // not from its tensor in the file: say so where they differ.
    if (source.weights && model.isWeight(arg.getArgNumber()) &&
        type.getNumDynamicDims()) {
      std::string name = model.getCheckpointName(arg.getArgNumber())->str();
      auto it = source.weights->entries().find(name);
      if (it != source.weights->entries().end() &&
          ArrayRef<int64_t>(it->second.shape) != ArrayRef<int64_t>(shape))
        return makeError(fmt::format(
            "tensor '{}' has shape {} in {}, but argument #{} is {} here: "
            "its dynamic dimensions take the batch ({}; --batch, 8 by "
            "default), not its tensor's shape",
            name, formatShape(it->second.shape), options.weightsPath,
            arg.getArgNumber(), formatShape(shape), options.batch));
    }
    if (!getCheckedNumElements(shape))
      return makeError(fmt::format(
          "argument #{} would have shape {}, more than {} elements "
          "(tp-mlir's limit); use a smaller batch",
          arg.getArgNumber(), formatShape(shape), kMaxTensorElements));
    source.fullShapes.push_back(shape);
  }
  return source;
}

SmallVector<SmallVector<int64_t>> ArgumentSource::getResultShapes() const {
  // Only the batch may be dynamic: it is the batch of the model's input, or
  // the option's when the model has no dynamic input.
  int64_t batch = options.batch;
  FunctionOpInterface fn = model->getEntry();
  for (BlockArgument arg : fn.getArguments()) {
    auto type = cast<RankedTensorType>(arg.getType());
    if (!model->isWeight(arg.getArgNumber()) && type.getRank() > 0 &&
        type.isDynamicDim(0))
      batch = fullShapes[arg.getArgNumber()][0];
  }
  SmallVector<SmallVector<int64_t>> shapes;
  for (Type t : fn.getResultTypes()) {
    auto type = cast<RankedTensorType>(t);
    SmallVector<int64_t> shape(type.getShape());
    for (int64_t &d : shape)
      if (ShapedType::isDynamic(d))
        d = batch;
    shapes.push_back(shape);
  }
  return shapes;
}

llvm::Expected<Tensor> ArgumentSource::get(unsigned index,
                                           std::optional<int64_t> dim,
                                           int64_t offset, int64_t size) const {
  FunctionOpInterface fn = model->getEntry();
  BlockArgument arg = fn.getArgument(index);
  bool weight = model->isWeight(index);
  if (!options.buffers.empty()) {
    SmallVector<int64_t> shape(fullShapes[index]);
    if (dim)
      shape[*dim] = size;
    Tensor t(shape);
    forEachRun(options.buffers[index].data, fullShapes[index], dim, offset,
               size, [&](int64_t at, const char *bytes, int64_t count) {
                 std::memcpy(reinterpret_cast<char *>(t.data.data()) + at,
                             bytes, count);
               });
    return t;
  }
  if (weight && weights)
    return weights->read(*model->getCheckpointName(index), fullShapes[index],
                         dim, offset, size);
  if (!weight && input)
    return dim ? sliceTensor(*input, *dim, offset, size) : *input;
  if (dim)
    return Tensor::randomSlice(fullShapes[index], *dim, offset, size,
                               options.seed, index, initScale(arg));
  return Tensor::random(fullShapes[index], options.seed, index, initScale(arg));
}

std::map<std::string, int64_t>
ArgumentSource::getConvertedWeightDtypes() const {
  std::map<std::string, int64_t> dtypes;
  if (!weights)
    return dtypes;
  std::set<std::string> seen; // a tied weight is one tensor
  for (unsigned i = 0; i < model->getNumArguments(); ++i) {
    std::optional<StringRef> name = model->getCheckpointName(i);
    if (!name || !seen.insert(name->str()).second)
      continue;
    auto it = weights->entries().find(*name);
    if (it != weights->entries().end() && it->second.dtype != "F32")
      ++dtypes[it->second.dtype];
  }
  return dtypes;
}

uint64_t ArgumentSource::estimateRankBytes(const PartitionedModel &program,
                                           int64_t rank) const {
  uint64_t bytes = 0;
  for (unsigned i = 0; i < model->getNumArguments(); ++i) {
    SmallVector<int64_t> shape(fullShapes[i]);
    if (ShardAttr shard = program.getShard(i))
      shape[*shard.getDim()] = shard.getSizes()[rank];
    bytes += 4 * static_cast<uint64_t>(numElements(shape));
  }
  // A layer's input and output are alive together; the widest layer at the
  // full batch bounds them.
  uint64_t widest = 0;
  int64_t batch = getResultShapes().empty() || getResultShapes()[0].empty()
                      ? options.batch
                      : getResultShapes()[0][0];
  model->getEntry().walk([&](Operation *op) {
    for (Type t : op->getResultTypes())
      if (auto type = dyn_cast<RankedTensorType>(t)) {
        uint64_t n = 1;
        for (int64_t d : type.getShape())
          n *= ShapedType::isDynamic(d) ? batch : d;
        widest = std::max(widest, n);
      }
  });
  return bytes + 2 * 4 * widest;
}

llvm::Expected<Tensor> ArgumentSource::getFull(unsigned index) const {
  return get(index, std::nullopt, 0, 0);
}

llvm::Expected<SmallVector<Tensor>>
ArgumentSource::getRankArguments(const PartitionedModel &program,
                                 int64_t rank) const {
  SmallVector<Tensor> args;
  for (unsigned i = 0; i < model->getNumArguments(); ++i) {
    ShardAttr shard = program.getShard(i);
    llvm::Expected<Tensor> t =
        shard ? get(i, shard.getDim(), shard.getOffsets()[rank],
                    shard.getSizes()[rank])
              : getFull(i);
    if (!t)
      return t.takeError();
    args.push_back(std::move(*t));
  }
  return args;
}

llvm::Expected<SmallVector<ArgumentWriter>>
ArgumentSource::getRankArgumentWriters(const PartitionedModel &program,
                                       int64_t rank) const {
  SmallVector<ArgumentWriter> writers;
  for (unsigned i = 0; i < model->getNumArguments(); ++i) {
    ShardAttr shard = program.getShard(i);
    std::optional<int64_t> dim;
    int64_t offset = 0, size = 0;
    SmallVector<int64_t> shape(fullShapes[i]);
    if (shard) {
      dim = *shard.getDim();
      offset = shard.getOffsets()[rank];
      size = shard.getSizes()[rank];
      shape[*dim] = size;
    }
    ArgumentWriter writer;
    writer.shape = shape;
    if (!options.buffers.empty()) {
      // Straight from the caller's buffer.
      writer.write = [this, i, dim, offset,
                      size](ArgumentWriter::Sink sink) -> llvm::Error {
        forEachRun(options.buffers[i].data, fullShapes[i], dim, offset, size,
                   sink);
        return llvm::Error::success();
      };
    } else if (model->isWeight(i) && weights) {
      // Straight from the mapped file to wherever the sink writes.
      std::string name = model->getCheckpointName(i)->str();
      writer.write = [this, i, name, dim, offset,
                      size](ArgumentWriter::Sink sink) {
        return weights->readSlice(name, fullShapes[i], dim, offset, size, sink);
      };
    } else {
      writer.write = [this, i, dim, offset,
                      size](ArgumentWriter::Sink sink) -> llvm::Error {
        llvm::Expected<Tensor> t = get(i, dim, offset, size);
        if (!t)
          return t.takeError();
        sink(0, reinterpret_cast<const char *>(t->data.data()),
             4 * static_cast<int64_t>(t->data.size()));
        return llvm::Error::success();
      };
    }
    writers.push_back(std::move(writer));
  }
  return writers;
}
