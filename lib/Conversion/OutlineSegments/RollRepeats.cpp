//===- RollRepeats.cpp - loops over repeated runs of ops ------------------===//
//
// A chain of L layers lowers to L layers' worth of straight-line calls,
// allocations and address arithmetic. Where the layers repeat (the same
// widths, activations and collectives every few layers, as in any deep
// model), that code is a sequence repeated L / k times, and the cost of
// compiling it (MLIR to LLVM, LLVM's instruction selection and register
// allocation) grows with L for nothing. This rolls such a run into one
// loop whose body is one repetition.
//
//===----------------------------------------------------------------------===//

#include "RollRepeats.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/OperationSupport.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/Support/MathExtras.h"

#include <map>
#include <tuple>

using namespace mlir;

namespace {

/// The longest period looked for, in ops: some ten ops per layer, so runs
/// that repeat every hundred layers or fewer.
constexpr int64_t kMaxPeriod = 1024;

/// A descriptor the packed entry loads from its pointer array: the cast of
/// a struct loaded through the pointer in `args[slot]`.
struct Descriptor {
  int64_t slot;
  LLVM::GEPOp address;
};

std::optional<Descriptor> descriptorOf(Value value, Value args) {
  if (!args)
    return std::nullopt;
  auto cast = value.getDefiningOp<UnrealizedConversionCastOp>();
  if (!cast || cast->getNumOperands() != 1 || cast->getNumResults() != 1)
    return std::nullopt;
  auto load = cast->getOperand(0).getDefiningOp<LLVM::LoadOp>();
  auto pointer = load ? load.getAddr().getDefiningOp<LLVM::LoadOp>() : nullptr;
  auto address =
      pointer ? pointer.getAddr().getDefiningOp<LLVM::GEPOp>() : nullptr;
  if (!address || address.getBase() != args ||
      !address.getDynamicIndices().empty() ||
      address.getRawConstantIndices().size() != 1)
    return std::nullopt;
  return Descriptor{address.getRawConstantIndices()[0], address};
}

/// Where a value made in the run is: the repetition, the offset of its op
/// within the repetition, and the result.
struct Place {
  int64_t rep;
  int64_t offset;
  unsigned result;
  bool operator==(const Place &other) const {
    return rep == other.rep && offset == other.offset && result == other.result;
  }
};

/// What an operand of the second repetition (the template of the loop's
/// body) stands for in each repetition.
struct Source {
  enum Kind {
    own,        // made by the same repetition
    carried,    // made by the previous repetition
    descriptor, // loaded from `args`, at slots a fixed stride apart
    constant,   // an integer constant, a fixed stride apart (timer ids)
    invariant   // the same value in every repetition
  } kind;
  Place place{};                 // own, carried: where, in the template
  int64_t base = 0;              // descriptor, constant: in the template
  std::optional<int64_t> stride; // descriptor, constant: from the third
};

/// An operand of a repetition: the op's offset and the operand's number.
using OperandKey = std::pair<int64_t, unsigned>;
using Sources = llvm::MapVector<OperandKey, Source>;

/// The value of an integer or index constant that fits in 64 bits.
std::optional<int64_t> integerConstant(Value value) {
  auto integer = dyn_cast<IntegerType>(value.getType());
  if ((!integer || integer.getWidth() > 64) && !isa<IndexType>(value.getType()))
    return std::nullopt;
  return getConstantIntValue(value);
}

class Roller {
public:
  Roller(Block &block, Value args,
         const llvm::SmallPtrSetImpl<Operation *> &skipped, int64_t minOps)
      : block(block), args(args), skipped(skipped), minOps(minOps) {}

  /// Rolls the run that saves the most ops; false if there is none.
  bool rollOnce();

private:
  Block &block;
  Value args;
  const llvm::SmallPtrSetImpl<Operation *> &skipped;
  int64_t minOps;

  SmallVector<Operation *> ops;
  llvm::DenseMap<Operation *, int64_t> position;
  int64_t start = 0, period = 0, count = 0;

  int64_t end() const { return start + count * period; }
  Operation *opAt(int64_t rep, int64_t offset) const {
    return ops[start + rep * period + offset];
  }
  /// The position of the top-level op holding `user`; past every op if it
  /// is not one of `ops` (the terminator).
  int64_t positionOf(Operation *user) const {
    Operation *top = block.findAncestorOpInBlock(*user);
    auto it = position.find(top);
    return it == position.end() ? static_cast<int64_t>(ops.size()) : it->second;
  }
  std::optional<Place> placeOf(Value value) const {
    auto result = dyn_cast<OpResult>(value);
    if (!result)
      return std::nullopt;
    auto it = position.find(result.getOwner());
    if (it == position.end() || it->second < start || it->second >= end())
      return std::nullopt;
    int64_t at = it->second - start;
    return Place{at / period, at % period, result.getResultNumber()};
  }

  /// Iteration arguments, by (offset, result) in a repetition: what one
  /// repetition passes to the next, and what the last passes to the code
  /// after the run.
  llvm::MapVector<std::pair<int64_t, unsigned>, unsigned> carried;

  void findCandidate();
  void verify(Sources &sources);
  bool matches(int64_t rep, Source &source, Value value, Value model) const;
  void shrinkToUses();
  bool collectCarried(const Sources &sources);
  bool erasable() const;
  void build(const Sources &sources);

public:
  SmallVector<scf::ForOp> loops;
};

void Roller::findCandidate() {
  SmallVector<llvm::hash_code> hashes;
  hashes.reserve(ops.size());
  for (Operation *op : ops) {
    // Ops with regions or successors are never repeated here, nor vector
    // code (an unrolled microkernel's repeats, whose values would have to
    // cross the body function's boundary as vectors).
    auto isVector = [](Type type) { return isa<VectorType>(type); };
    // Stack allocations neither: the body's function would return them.
    if (op->getNumRegions() || op->getNumSuccessors() ||
        isa<memref::AllocaOp, LLVM::AllocaOp>(op) ||
        llvm::any_of(op->getOperandTypes(), isVector) ||
        llvm::any_of(op->getResultTypes(), isVector)) {
      hashes.push_back(llvm::hash_value(op));
      continue;
    }
    hashes.push_back(llvm::hash_combine(
        OperationEquivalence::computeHash(
            op, [](Value v) { return hash_value(v.getType()); },
            OperationEquivalence::ignoreHashValue,
            OperationEquivalence::IgnoreLocations),
        llvm::hash_combine_range(op->getResultTypes().begin(),
                                 op->getResultTypes().end())));
  }
  int64_t n = ops.size();
  count = 0;
  int64_t bestGain = 0;
  for (int64_t p = 1; p <= std::min(kMaxPeriod, n / 3); ++p) {
    for (int64_t i = 0; i + p < n;) {
      if (hashes[i] != hashes[i + p]) {
        ++i;
        continue;
      }
      int64_t from = i;
      while (i + p < n && hashes[i] == hashes[i + p])
        ++i;
      int64_t reps = (i - from + p) / p;
      if (reps >= 3 && (reps - 1) * p > bestGain) {
        bestGain = (reps - 1) * p;
        start = from;
        period = p;
        count = reps;
      }
    }
  }
}

void Roller::verify(Sources &sources) {
  // The template: what each operand of the second repetition stands for.
  for (int64_t offset = 0; offset < period; ++offset)
    for (OpOperand &use : opAt(1, offset)->getOpOperands()) {
      Value operand = use.get();
      OperandKey key{offset, use.getOperandNumber()};
      if (auto place = placeOf(operand))
        sources.insert(
            {key,
             Source{place->rep == 1 ? Source::own : Source::carried, *place}});
      else if (auto descriptor = descriptorOf(operand, args))
        sources.insert({key, Source{Source::descriptor, {}, descriptor->slot}});
      else if (auto value = integerConstant(operand))
        sources.insert({key, Source{Source::constant, {}, *value}});
      else
        sources.insert({key, Source{Source::invariant}});
    }

  // Each later repetition: the same ops, and every operand (the same
  // value too: it is not the same thing for an own or carried operand)
  // standing for the same thing, one repetition on.
  for (int64_t rep = 2; rep < count; ++rep)
    for (int64_t offset = 0; offset < period; ++offset) {
      Operation *op = opAt(rep, offset), *model = opAt(1, offset);
      bool same = op->getNumOperands() == model->getNumOperands() &&
                  OperationEquivalence::isEquivalentTo(
                      op, model, OperationEquivalence::ignoreValueEquivalence,
                      /*markEquivalent=*/nullptr,
                      OperationEquivalence::IgnoreLocations);
      for (unsigned i = 0; same && i < op->getNumOperands(); ++i)
        same = matches(rep, sources.find({offset, i})->second,
                       op->getOperand(i), model->getOperand(i));
      if (!same) {
        count = rep;
        return;
      }
    }
}

bool Roller::matches(int64_t rep, Source &source, Value value,
                     Value model) const {
  switch (source.kind) {
  case Source::own:
  case Source::carried: {
    Place expected = source.place;
    expected.rep += rep - 1;
    return placeOf(value) == expected;
  }
  case Source::descriptor:
  case Source::constant: {
    std::optional<int64_t> at;
    if (source.kind == Source::constant) {
      if (value.getType() == model.getType())
        at = integerConstant(value);
    } else if (auto descriptor = descriptorOf(value, args)) {
      at = descriptor->slot;
    }
    if (!at)
      return false;
    // The stride is the third repetition's step from the second. Steps
    // that overflow 64 bits (hostile constants) are no progression.
    int64_t step, expected;
    if (!source.stride) {
      if (rep != 2 || llvm::SubOverflow(*at, source.base, step))
        return false;
      source.stride = step;
    }
    return !llvm::MulOverflow(rep - 1, *source.stride, step) &&
           !llvm::AddOverflow(source.base, step, expected) && *at == expected;
  }
  case Source::invariant: {
    if (value == model)
      return true;
    Operation *a = value.getDefiningOp(), *b = model.getDefiningOp();
    return a && b && a->hasTrait<OpTrait::ConstantLike>() &&
           OperationEquivalence::isEquivalentTo(
               a, b, OperationEquivalence::IgnoreLocations);
  }
  }
  llvm_unreachable("all kinds handled");
}

/// The loop replaces repetitions 1 to count - 1: a value one of them makes
/// may be used after the run only if it comes from the last. Shortening
/// the run puts more ops after it, so until nothing changes.
void Roller::shrinkToUses() {
  for (bool changed = true; changed;) {
    changed = false;
    for (int64_t rep = 1; rep + 1 < count && !changed; ++rep)
      for (int64_t offset = 0; offset < period && !changed; ++offset)
        for (Operation *user : opAt(rep, offset)->getUsers())
          if (positionOf(user) >= end()) {
            count = rep + 1;
            changed = true;
            break;
          }
  }
}

bool Roller::collectCarried(const Sources &sources) {
  carried.clear();
  for (auto &[key, source] : sources)
    if (source.kind == Source::carried)
      carried.insert({{source.place.offset, source.place.result},
                      static_cast<unsigned>(carried.size())});
  for (int64_t offset = 0; offset < period; ++offset)
    for (OpResult result : opAt(count - 1, offset)->getResults())
      if (llvm::any_of(result.getUsers(), [&](Operation *user) {
            return positionOf(user) >= end();
          }))
        carried.insert({{offset, result.getResultNumber()},
                        static_cast<unsigned>(carried.size())});
  // The loop's body becomes a function of its own: what it passes on must
  // cross a call (an unranked memref's descriptor is on the callee's
  // stack).
  return llvm::all_of(carried, [&](auto &entry) {
    return tp::canCross(
        opAt(0, entry.first.first)->getResult(entry.first.second).getType());
  });
}

/// Whether every use of what repetitions 1 to count - 1 make is inside
/// them, or after the run and of the last one (the loop's results).
bool Roller::erasable() const {
  for (int64_t rep = 1; rep < count; ++rep)
    for (int64_t offset = 0; offset < period; ++offset)
      for (Operation *user : opAt(rep, offset)->getUsers()) {
        int64_t at = positionOf(user);
        if (at < start + period || (at >= end() && rep + 1 < count))
          return false;
      }
  return true;
}

void Roller::build(const Sources &sources) {
  SmallVector<Value> inits;
  for (auto &[key, index] : carried)
    inits.push_back(opAt(0, key.first)->getResult(key.second));

  Operation *last = ops[end() - 1];
  Location loc = opAt(1, 0)->getLoc();
  OpBuilder builder(last->getContext());
  builder.setInsertionPointAfter(last);
  Value one = arith::ConstantIndexOp::create(builder, loc, 1);
  Value reps = arith::ConstantIndexOp::create(builder, loc, count);
  auto pointer = LLVM::LLVMPointerType::get(builder.getContext());
  auto loop = scf::ForOp::create(
      builder, loc, one, reps, one, inits,
      [&](OpBuilder &b, Location, Value iv, ValueRange iterArgs) {
        IRMapping mapping;
        for (auto &[key, index] : carried)
          mapping.map(opAt(0, key.first)->getResult(key.second),
                      iterArgs[index]);
        Value step; // iv - 1, made where first needed
        // base + (iv - 1) * stride, for one template operand.
        std::map<std::tuple<int, int64_t, int64_t, const void *>, Value> made;
        auto advance = [&](const Source &source, Value model) -> Value {
          auto key = std::make_tuple(static_cast<int>(source.kind), source.base,
                                     *source.stride,
                                     model.getType().getAsOpaquePointer());
          if (Value done = made[key])
            return done;
          if (!step)
            step = arith::SubIOp::create(b, loc, iv, one);
          Value scaled = arith::MulIOp::create(
              b, loc, step,
              arith::ConstantIndexOp::create(b, loc, *source.stride));
          Value at = arith::AddIOp::create(
              b, loc, scaled,
              arith::ConstantIndexOp::create(b, loc, source.base));
          if (source.kind == Source::constant)
            return made[key] = isa<IndexType>(model.getType())
                                   ? at
                                   : arith::IndexCastOp::create(
                                         b, loc, model.getType(), at)
                                         .getResult();
          // The descriptor in args[at], loaded as the template's is.
          Value index = arith::IndexCastOp::create(b, loc, b.getI64Type(), at);
          Descriptor descriptor = *descriptorOf(model, args);
          auto address = LLVM::GEPOp::create(b, loc, pointer, pointer, args,
                                             ArrayRef<LLVM::GEPArg>{index});
          IRMapping loads;
          loads.map(descriptor.address.getResult(), address.getResult());
          Operation *cast = model.getDefiningOp();
          Operation *load = cast->getOperand(0).getDefiningOp();
          b.clone(*load->getOperand(0).getDefiningOp(), loads);
          b.clone(*load, loads);
          return made[key] = b.clone(*cast, loads)->getResult(0);
        };
        for (int64_t offset = 0; offset < period; ++offset) {
          Operation *model = opAt(1, offset);
          // The operands that advance, made before the op that uses them.
          SmallVector<std::pair<unsigned, Value>> advanced;
          for (unsigned i = 0; i < model->getNumOperands(); ++i) {
            const Source &source = sources.find({offset, i})->second;
            if ((source.kind == Source::descriptor ||
                 source.kind == Source::constant) &&
                *source.stride != 0)
              advanced.push_back({i, advance(source, model->getOperand(i))});
          }
          Operation *clone = b.clone(*model, mapping);
          for (auto [i, value] : advanced)
            clone->setOperand(i, value);
        }
        SmallVector<Value> yielded;
        for (auto &[key, index] : carried)
          yielded.push_back(
              mapping.lookup(opAt(1, key.first)->getResult(key.second)));
        scf::YieldOp::create(b, loc, yielded);
      });
  loops.push_back(loop);

  for (auto &[key, index] : carried)
    opAt(count - 1, key.first)
        ->getResult(key.second)
        .replaceUsesWithIf(loop.getResult(index), [&](OpOperand &use) {
          return positionOf(use.getOwner()) >= end();
        });
  for (int64_t at = end() - 1; at >= start + period; --at)
    ops[at]->erase();
}

bool Roller::rollOnce() {
  ops.clear();
  position.clear();
  for (Operation &op : block.without_terminator())
    if (!op.hasTrait<OpTrait::ConstantLike>() && !skipped.contains(&op)) {
      position[&op] = ops.size();
      ops.push_back(&op);
    }
  findCandidate();
  // The repetitions may be taken from any op of the first on; where one
  // phase would pass an unranked memref to the next repetition, another
  // does not.
  int64_t first = start, length = count * period;
  for (int64_t shift = 0; shift < period; ++shift) {
    start = first + shift;
    count = (length - shift) / period;
    if (count < 3)
      return false;
    Sources sources;
    verify(sources);
    shrinkToUses();
    if (count < 3 || (count - 1) * period < minOps)
      continue;
    if (!collectCarried(sources) || !erasable())
      continue;
    build(sources);
    return true;
  }
  return false;
}

} // namespace

SmallVector<scf::ForOp>
mlir::tp::rollRepeats(Block &block, Value args,
                      const llvm::SmallPtrSetImpl<Operation *> &skipped,
                      int64_t minOps) {
  if (minOps <= 0)
    return {};
  Roller roller(block, args, skipped, minOps);
  // Each roll leaves one repetition and a loop; a model may have several
  // runs of different repetitions (stages of different widths).
  while (roller.loops.size() < 16 && roller.rollOnce()) {
  }
  return roller.loops;
}
