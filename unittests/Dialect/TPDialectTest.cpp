//===- TPDialectTest.cpp - building and checking tp IR from C++ -----------===//

#include "tp-mlir/Dialect/TP/IR/TPOps.h"
#include "tp-mlir/Registration/Registration.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::tp;

namespace {
class TPDialectTest : public ::testing::Test {
protected:
  TPDialectTest() {
    DialectRegistry registry;
    registerModelDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }
  MLIRContext context;
};

TEST_F(TPDialectTest, BuilderInfersResultType) {
  OpBuilder b(&context);
  Location loc = b.getUnknownLoc();
  auto module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module.getBody());
  auto f32 = b.getF32Type();
  auto xT = RankedTensorType::get({ShapedType::kDynamic, 8}, f32);
  auto wT = RankedTensorType::get({16, 8}, f32);
  auto bT = RankedTensorType::get({16}, f32);
  auto fn =
      func::FuncOp::create(b, loc, "f", b.getFunctionType({xT, wT, bT}, {}));
  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToEnd(entry);
  auto linear =
      LinearOp::create(b, loc, entry->getArgument(0), entry->getArgument(1),
                       entry->getArgument(2), ActivationKind::silu);
  // A kind with parameters: the builders store them all, and the op gives
  // them back resolved.
  Activation leaky = Activation::withDefaults(ActivationKind::leaky_relu);
  leaky.params[0] = 0.25f;
  auto withParams =
      LinearOp::create(b, loc, entry->getArgument(0), entry->getArgument(1),
                       entry->getArgument(2), leaky);
  auto separate = ActivationOp::create(b, loc, leaky, withParams);
  auto defaults =
      ActivationOp::create(b, loc, ActivationKind::elu, separate.getResult());
  func::ReturnOp::create(b, loc);
  EXPECT_EQ(withParams.getResolvedActivation(), leaky);
  ASSERT_TRUE(withParams.getActivationParamsAttr());
  EXPECT_EQ(withParams.getActivationParamsAttr().asArrayRef(),
            ArrayRef<float>({0.25f}));
  EXPECT_EQ(separate.getResolvedActivation(), leaky);
  EXPECT_FALSE(defaults.getParamsAttr());
  EXPECT_EQ(defaults.getResolvedActivation().params[0], 1.0f);
  EXPECT_FALSE(linear.getActivationParamsAttr());
  EXPECT_EQ(linear.getType(),
            RankedTensorType::get({ShapedType::kDynamic, 16}, f32));
  EXPECT_EQ(linear.getActivation(), ActivationKind::silu);
  EXPECT_EQ(linear.getInFeatures(), 8);
  EXPECT_EQ(linear.getOutFeatures(), 16);
  EXPECT_TRUE(succeeded(verify(module)));
  module.erase();
}

TEST_F(TPDialectTest, MeshAttrRejectsZeroDevices) {
  std::string message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    message = diag.str();
    return success();
  });
  Attribute attr = parseAttribute("#tp.mesh<shape = [0]>", &context);
  EXPECT_FALSE(attr);
  EXPECT_NE(message.find("positive device count"), std::string::npos)
      << message;
  auto mesh = dyn_cast_or_null<MeshAttr>(
      parseAttribute("#tp.mesh<shape = [6]>", &context));
  ASSERT_TRUE(mesh);
  EXPECT_EQ(mesh.getNumDevices(), 6);
}

TEST_F(TPDialectTest, LookupMeshWalksToTheModule) {
  auto module = parseSourceString<ModuleOp>(
      R"mlir(module attributes {tp.mesh = #tp.mesh<shape = [3]>} {
        func.func @f(%x: tensor<2x4xf32>, %w: tensor<5x4xf32>) -> tensor<2x5xf32> {
          %y = tp.linear %x, %w sharding(row) : tensor<2x4xf32>, tensor<5x4xf32> -> tensor<2x5xf32>
          return %y : tensor<2x5xf32>
        }
      })mlir",
      &context);
  ASSERT_TRUE(module);
  LinearOp linear;
  module->walk([&](LinearOp op) { linear = op; });
  ASSERT_TRUE(linear);
  MeshAttr mesh = lookupMesh(linear);
  ASSERT_TRUE(mesh);
  EXPECT_EQ(mesh.getNumDevices(), 3);
  EXPECT_EQ(linear.getSharding(), ShardingKind::row);
}

TEST_F(TPDialectTest, EnumsRoundTripThroughStrings) {
  for (uint32_t i = 0; i <= getMaxEnumValForActivationKind(); ++i) {
    auto kind = static_cast<ActivationKind>(i);
    EXPECT_EQ(symbolizeActivationKind(stringifyActivationKind(kind)), kind);
  }
  EXPECT_FALSE(symbolizeActivationKind("softmax").has_value());
  EXPECT_EQ(symbolizeShardingKind("column"), ShardingKind::column);
}
} // namespace
