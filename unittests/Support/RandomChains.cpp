//===- RandomChains.cpp - random chains for property tests ----------------===//

#include "RandomChains.h"

#include "mlir/IR/BuiltinTypes.h"

#include <cmath>
#include <random>
#include <sstream>

using namespace mlir;
using namespace mlir::tp;
using namespace mlir::tp::test;

namespace {
constexpr int64_t kPrimes[] = {2,  3,   5,   7,   11,  13,  17,  31, 61,
                               97, 127, 151, 193, 211, 251, 263, 293};

} // namespace

std::string Case::describe() const {
  std::ostringstream os;
  os << "seed " << seed << ": D=" << devices << " batch=" << batch
     << " strategy=" << strategy << " optimize=" << optimize << " fuse=" << fuse
     << "\n"
     << source;
  return os.str();
}

Case mlir::tp::test::makeCase(uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  Case c;
  c.seed = seed;
  c.devices = pick(1, 8);
  c.batch = pick(1, 64);
  const char *strategies[] = {"row", "column", "alternate", "replicated",
                              "mixed"};
  c.strategy = strategies[pick(0, 4)];
  c.optimize = pick(0, 3) != 0;
  c.fuse = pick(0, 1);

  auto width = [&]() -> int64_t {
    switch (pick(0, 3)) {
    case 0: // at most D, so that some ranks hold nothing
      return pick(1, c.devices);
    case 1:
      return kPrimes[pick(0, std::size(kPrimes) - 1)];
    default:
      return pick(1, 300);
    }
  };
  int64_t depth = pick(1, 8);
  std::vector<int64_t> widths;
  for (int64_t i = 0; i <= depth; ++i)
    widths.push_back(width());

  // Every kind, those with parameters with PyTorch's defaults and with
  // others.
  const char *acts[] = {"identity",
                        "relu",
                        "gelu",
                        "gelu_tanh",
                        "sigmoid",
                        "tanh",
                        "silu",
                        "leaky_relu",
                        "leaky_relu(0.2)",
                        "elu",
                        "elu(0.5)",
                        "selu",
                        "softplus",
                        "softplus(2.0, 5.0)",
                        "mish",
                        "hardtanh(-2.0, 2.0)",
                        "hardtanh(0.0, 6.0)",
                        "hardsigmoid",
                        "hardswish"};
  const char *shardings[] = {"row", "column", "replicated"};
  // A dynamic batch in some cases, to exercise the policy end to end.
  bool dynamicBatch = pick(0, 1);
  std::string b = dynamicBatch ? "?" : std::to_string(c.batch);
  auto t2 = [](const std::string &rows, int64_t cols) {
    return "tensor<" + rows + "x" + std::to_string(cols) + "xf32>";
  };
  auto w2 = [](int64_t rows, int64_t cols) {
    return "tensor<" + std::to_string(rows) + "x" + std::to_string(cols) +
           "xf32>";
  };
  auto t1 = [](int64_t n) { return "tensor<" + std::to_string(n) + "xf32>"; };

  std::ostringstream args, body;
  args << "%x: " << t2(b, widths[0]);
  std::string value = "%x";
  for (int64_t i = 0; i < depth; ++i) {
    int64_t k = widths[i], n = widths[i + 1];
    bool hasBias = pick(0, 4) != 0;
    std::string act = acts[pick(0, int64_t(std::size(acts)) - 1)];
    bool standalone = pick(0, 2) == 0;
    args << ", %w" << i << ": " << w2(n, k) << " {tp.name = \"l" << i
         << ".weight\"}";
    if (hasBias)
      args << ", %b" << i << ": " << t1(n) << " {tp.name = \"l" << i
           << ".bias\"}";
    std::string out = "%h" + std::to_string(i);
    body << "    " << out << " = tp.linear " << value << ", %w" << i;
    if (hasBias)
      body << ", %b" << i;
    if (!standalone && act != "identity")
      body << " activation(" << act << ")";
    if (c.strategy == "mixed" && pick(0, 2) != 0)
      body << " sharding(" << shardings[pick(0, 2)] << ")";
    body << " : " << t2(b, k) << ", " << w2(n, k);
    if (hasBias)
      body << ", " << t1(n);
    body << " -> " << t2(b, n) << "\n";
    value = out;
    if (standalone) {
      std::string a = "%a" + std::to_string(i);
      body << "    " << a << " = tp.activation " << act << " " << value << " : "
           << t2(b, n) << "\n";
      value = a;
    }
  }
  std::ostringstream src;
  src << "module attributes {tp.mesh = #tp.mesh<shape = [" << c.devices
      << "]>} {\n  func.func @chain(" << args.str() << ") -> "
      << t2(b, widths[depth]) << " {\n"
      << body.str() << "    return " << value << " : " << t2(b, widths[depth])
      << "\n  }\n}\n";
  c.source = src.str();
  return c;
}

SmallVector<Tensor> mlir::tp::test::makeArguments(FunctionOpInterface fn,
                                                  const Case &c) {
  SmallVector<Tensor> args;
  for (BlockArgument arg : fn.getArguments()) {
    auto type = cast<RankedTensorType>(arg.getType());
    SmallVector<int64_t> shape(type.getShape());
    for (int64_t &d : shape)
      if (ShapedType::isDynamic(d))
        d = c.batch;
    float scale = shape.size() == 2 && arg.getArgNumber() > 0
                      ? 1.0f / std::sqrt(static_cast<float>(shape[1]))
                      : 1.0f;
    args.push_back(Tensor::random(shape, c.seed, arg.getArgNumber(), scale));
  }
  return args;
}
