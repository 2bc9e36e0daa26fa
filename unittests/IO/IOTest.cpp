//===- IOTest.cpp - the safetensors and .npy loaders ----------------------===//

#include "tp-mlir/IO/SafeTensors.h"

#include "tp-mlir/IO/FloatConversion.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <unistd.h>

using namespace mlir::tp;

namespace {
class IOTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("tp-io-test", dir));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  std::string file(llvm::StringRef name) {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  }
  /// Writes raw bytes.
  std::string writeRaw(llvm::StringRef name, llvm::StringRef bytes) {
    std::error_code ec;
    llvm::raw_fd_ostream os(file(name), ec);
    os << bytes;
    return file(name);
  }
  /// A safetensors file with `header` and `dataBytes` bytes of data.
  std::string writeSafeTensors(llvm::StringRef name, llvm::StringRef header,
                               size_t dataBytes) {
    std::string bytes(8, '\0');
    uint64_t n = header.size();
    std::memcpy(bytes.data(), &n, 8);
    bytes += header.str();
    bytes += std::string(dataBytes, '\0');
    return writeRaw(name, bytes);
  }
  std::string errorOf(llvm::Error error) {
    return llvm::toString(std::move(error));
  }

  llvm::SmallString<128> dir;
};

TEST_F(IOTest, SafeTensorsRoundTripAndSlices) {
  Tensor w({3, 4}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  Tensor b({3}, {-1, -2, -3});
  std::string path = file("w.safetensors");
  ASSERT_FALSE(
      SafeTensorsFile::write(path, {{"fc.weight", &w}, {"fc.bias", &b}}));
  auto f = SafeTensorsFile::open(path);
  ASSERT_TRUE(bool(f)) << llvm::toString(f.takeError());
  auto whole = (*f)->read("fc.weight", {3, 4});
  ASSERT_TRUE(bool(whole));
  EXPECT_EQ(whole->data, w.data);
  auto rows = (*f)->read("fc.weight", {3, 4}, 0, 1, 2);
  ASSERT_TRUE(bool(rows));
  EXPECT_EQ(rows->data, (std::vector<float>{4, 5, 6, 7, 8, 9, 10, 11}));
  auto cols = (*f)->read("fc.weight", {3, 4}, 1, 3, 1);
  ASSERT_TRUE(bool(cols));
  EXPECT_EQ(cols->shape, (llvm::SmallVector<int64_t, 2>{3, 1}));
  EXPECT_EQ(cols->data, (std::vector<float>{3, 7, 11}));
  auto empty = (*f)->read("fc.bias", {3}, 0, 3, 0);
  ASSERT_TRUE(bool(empty));
  EXPECT_EQ(empty->getNumElements(), 0);
}

TEST_F(IOTest, SafeTensorsConvertsHalvesAndDoubles) {
  // One 2x3 tensor per dtype; slices along either dimension convert the
  // elements they hold, special values included.
  uint16_t f16[6] = {0x3c00, 0xc000, 0x0001, 0x7bff, 0x7c00, 0xfc00};
  uint16_t bf16[6] = {0x3f80, 0xc020, 0x0001, 0x7f7f, 0x7f80, 0x8000};
  double f64[6] = {0.1, -1e-45, 3.0, -1e30, 1e-300, 65504};
  std::string data(reinterpret_cast<char *>(f16), 12);
  data += std::string(reinterpret_cast<char *>(bf16), 12);
  data += std::string(reinterpret_cast<char *>(f64), 48);
  std::string header =
      R"({"h":{"dtype":"F16","shape":[2,3],"data_offsets":[0,12]},)"
      R"("b":{"dtype":"BF16","shape":[2,3],"data_offsets":[12,24]},)"
      R"("d":{"dtype":"F64","shape":[2,3],"data_offsets":[24,72]}})";
  std::string bytes(8, '\0');
  uint64_t n = header.size();
  std::memcpy(bytes.data(), &n, 8);
  auto f = SafeTensorsFile::open(writeRaw("conv", bytes + header + data));
  ASSERT_TRUE(bool(f)) << llvm::toString(f.takeError());
  auto h = (*f)->read("h", {2, 3});
  ASSERT_TRUE(bool(h)) << llvm::toString(h.takeError());
  float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(h->data,
            (std::vector<float>{1.0f, -2.0f, 0x1p-24f, 65504.0f, inf, -inf}));
  auto b = (*f)->read("b", {2, 3}, 1, 1, 2);
  ASSERT_TRUE(bool(b)) << llvm::toString(b.takeError());
  EXPECT_EQ(b->data, (std::vector<float>{-2.5f, 0x1p-133f, inf, -0.0f}));
  auto d = (*f)->read("d", {2, 3}, 0, 1, 1);
  ASSERT_TRUE(bool(d)) << llvm::toString(d.takeError());
  EXPECT_EQ(d->data, (std::vector<float>{-1e30f, 0.0f, 65504.0f}));
  auto d0 = (*f)->read("d", {2, 3}, 0, 0, 1);
  ASSERT_TRUE(bool(d0)) << llvm::toString(d0.takeError());
  EXPECT_EQ(d0->data[0], 0.1f);
  EXPECT_EQ(d0->data[1], static_cast<float>(-1e-45));
}

TEST_F(IOTest, SafeTensorsRefusesDoublesBeyondFloat) {
  double f64[4] = {1, 2, -4e38, 4};
  std::string header =
      R"({"d":{"dtype":"F64","shape":[2,2],"data_offsets":[0,32]}})";
  std::string bytes(8, '\0');
  uint64_t n = header.size();
  std::memcpy(bytes.data(), &n, 8);
  auto f = SafeTensorsFile::open(writeRaw(
      "big",
      bytes + header + std::string(reinterpret_cast<char *>(f64), sizeof f64)));
  ASSERT_TRUE(bool(f)) << llvm::toString(f.takeError());
  // The first row is within range; the whole tensor and the second row
  // are not.
  auto first = (*f)->read("d", {2, 2}, 0, 0, 1);
  ASSERT_TRUE(bool(first)) << llvm::toString(first.takeError());
  EXPECT_EQ(first->data, (std::vector<float>{1, 2}));
  EXPECT_NE(errorOf((*f)->read("d", {2, 2}).takeError())
                .find("tensor 'd' (F64) holds -4e+38, beyond the range "
                      "of F32"),
            std::string::npos);
  EXPECT_NE(errorOf((*f)->read("d", {2, 2}, 1, 0, 1).takeError())
                .find("beyond the range of F32"),
            std::string::npos);
}

TEST_F(IOTest, DoublesRoundToFloatLikeNumPy) {
  // Up to the midpoint between f32's largest and 2^128, F64 rounds to the
  // largest (3.4028235e38 is how the largest is printed); from it on, to
  // an infinity, which is refused.
  double below = std::nextafter(0x1.ffffffp127, 0.0);
  double values[3] = {3.4028235e38, -below, 0x1.ffffffp127};
  float out[2];
  convertToF32(SourceFloat::F64, reinterpret_cast<const char *>(values), out,
               2);
  EXPECT_EQ(out[0], std::numeric_limits<float>::max());
  EXPECT_EQ(out[1], -std::numeric_limits<float>::max());
  EXPECT_FALSE(
      findBeyondF32(reinterpret_cast<const char *>(values), 2).has_value());
  std::optional<double> beyond =
      findBeyondF32(reinterpret_cast<const char *>(values), 3);
  ASSERT_TRUE(beyond.has_value());
  EXPECT_EQ(formatShortest(*beyond), "3.4028235677973366e+38");
  EXPECT_EQ(formatShortest(1e300), "1e+300");
  EXPECT_EQ(formatShortest(-0.1), "-0.1");
}

TEST_F(IOTest, SafeTensorsErrorsNameFileAndTensor) {
  Tensor w({2, 2}, {1, 2, 3, 4});
  std::string path = file("ok.safetensors");
  ASSERT_FALSE(SafeTensorsFile::write(path, {{"w", &w}}));
  auto f = SafeTensorsFile::open(path);
  ASSERT_TRUE(bool(f));
  EXPECT_NE(
      errorOf((*f)->read("v", {2, 2}).takeError()).find("no tensor named 'v'"),
      std::string::npos);
  EXPECT_NE(errorOf((*f)->read("w", {2, 3}).takeError())
                .find("tensor 'w' has shape 2x2, the model expects 2x3"),
            std::string::npos);

  struct Bad {
    const char *name;
    std::string header;
    size_t data;
    const char *message;
  } cases[] = {
      {"i32", R"({"w":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}})", 8,
       nullptr},
      {"f16-size",
       R"({"w":{"dtype":"F16","shape":[2,2],"data_offsets":[0,16]}})", 16,
       "tensor 'w': shape 2x2 needs 8 bytes of F16, data_offsets hold 16"},
      {"past-end",
       R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})", 8,
       "tensor 'w': data_offsets [0, 16) reach past the end of the data (8 "
       "bytes)"},
      {"size", R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})",
       16, "tensor 'w': shape 2x2 needs 16 bytes of F32, data_offsets hold 12"},
      {"json", R"({"w":{"dtype":"F32",)", 0, "malformed JSON header"},
      {"fields", R"({"w":{"dtype":"F32"}})", 0,
       "tensor 'w': expected 'dtype', 'shape' and two 'data_offsets'"},
      {"negative", R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})",
       8, "the shape holds a value that is not a size"},
  };
  for (const Bad &c : cases) {
    std::string p = writeSafeTensors(c.name, c.header, c.data);
    auto opened = SafeTensorsFile::open(p);
    if (!c.message) {
      // Opens, but reading a tensor that is not a float is refused.
      ASSERT_TRUE(bool(opened)) << c.name;
      EXPECT_NE(errorOf((*opened)->read("w", {2}).takeError())
                    .find("tensor 'w' has dtype I32; tp-mlir reads F32 "
                          "weights, and F16, BF16 and F64 ones converted"),
                std::string::npos);
      continue;
    }
    ASSERT_FALSE(bool(opened)) << c.name;
    std::string message = errorOf(opened.takeError());
    EXPECT_NE(message.find(c.message), std::string::npos)
        << c.name << ": " << message;
    EXPECT_NE(message.find(c.name), std::string::npos) << "names the file";
  }

  std::string tiny = writeRaw("tiny", "abc");
  EXPECT_NE(errorOf(SafeTensorsFile::open(tiny).takeError())
                .find("truncated: 3 bytes"),
            std::string::npos);
  std::string header = writeRaw("header", std::string("\xff\x00\x00\x00\x00"
                                                      "\x00\x00\x00{}",
                                                      10));
  EXPECT_NE(errorOf(SafeTensorsFile::open(header).takeError())
                .find("the header length 255 reaches past the end of the "
                      "file (10 bytes)"),
            std::string::npos);
  EXPECT_NE(errorOf(SafeTensorsFile::open(file("none")).takeError())
                .find("cannot open"),
            std::string::npos);
}

TEST_F(IOTest, NpyRoundTripAndErrors) {
  for (Tensor t : {Tensor({2, 3}, {1, 2, 3, 4, 5, 6}),
                   Tensor({4}, {1, 2, 3, 4}), Tensor({1, 1}, {7})}) {
    std::string path = file("t.npy");
    ASSERT_FALSE(writeNpy(path, t));
    auto back = readNpy(path);
    ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
    EXPECT_EQ(back->shape, t.shape);
    EXPECT_EQ(back->data, t.data);
  }
  // numpy.save of float64 (its default), float16 and int64 data: the
  // floats are read converted, the integers refused.
  auto npyOf = [](llvm::StringRef descr, llvm::StringRef data) {
    std::string bytes("\x93NUMPY\x01\x00", 8);
    std::string header = "{'descr': '" + descr.str() +
                         "', 'fortran_order': False, 'shape': (3,), }";
    header.resize(117, ' ');
    header += "\n";
    return bytes + std::string(1, char(header.size())) + std::string(1, '\0') +
           header + data.str();
  };
  double f8[3] = {0.1, -2.5, 1e-50};
  auto fromF8 = readNpy(writeRaw(
      "f8.npy",
      npyOf("<f8", llvm::StringRef(reinterpret_cast<char *>(f8), 24))));
  ASSERT_TRUE(bool(fromF8)) << llvm::toString(fromF8.takeError());
  EXPECT_EQ(fromF8->data, (std::vector<float>{0.1f, -2.5f, 0.0f}));
  uint16_t f2[3] = {0x3c00, 0xc100, 0x0001}; // 1, -2.5, 2^-24
  auto fromF2 = readNpy(
      writeRaw("f2.npy",
               npyOf("<f2", llvm::StringRef(reinterpret_cast<char *>(f2), 6))));
  ASSERT_TRUE(bool(fromF2)) << llvm::toString(fromF2.takeError());
  EXPECT_EQ(fromF2->data, (std::vector<float>{1.0f, -2.5f, 0x1p-24f}));
  double big[3] = {1, 1e39, 2};
  EXPECT_NE(
      errorOf(readNpy(writeRaw(
                          "big.npy",
                          npyOf("<f8", llvm::StringRef(
                                           reinterpret_cast<char *>(big), 24))))
                  .takeError())
          .find("the float64 data holds 1e+39, beyond the "
                "range of float32"),
      std::string::npos);
  EXPECT_NE(
      errorOf(readNpy(writeRaw("i8.npy", npyOf("<i8", std::string(24, '\0'))))
                  .takeError())
          .find("expected little-endian float data ('<f4', or '<f2' or "
                "'<f8', which are converted to float32), found '<i8'"),
      std::string::npos);
  // A descr that is not a string is not np.save's.
  EXPECT_NE(errorOf(readNpy(writeRaw("bare.npy",
                                     [&] {
                                       std::string bytes =
                                           npyOf("<f4", std::string(12, '\0'));
                                       size_t at = bytes.find("'<f4'");
                                       return bytes.replace(at, 5, "  f4 ");
                                     }()))
                        .takeError())
                .find("found f4"),
            std::string::npos);
  // Big-endian float32 is not converted.
  EXPECT_NE(
      errorOf(readNpy(writeRaw("be.npy", npyOf(">f4", std::string(12, '\0'))))
                  .takeError())
          .find("found '>f4'"),
      std::string::npos);
  EXPECT_NE(errorOf(readNpy(writeRaw("bad.npy", "NOTNUMPY....")).takeError())
                .find("not a .npy file"),
            std::string::npos);
  // Truncated data.
  Tensor t({4, 4});
  std::string path = file("short.npy");
  ASSERT_FALSE(writeNpy(path, t));
  ASSERT_EQ(::truncate(path.c_str(), 128 + 20), 0);
  EXPECT_NE(errorOf(readNpy(path).takeError())
                .find("shape 4x4 needs 64 bytes of data, the file holds 20"),
            std::string::npos);
}
} // namespace

namespace {
// A file is written whole or not at all: through a temporary beside it,
// renamed once complete, so that nothing else is left in the directory,
// and an existing file is replaced only by a complete one.
TEST_F(IOTest, WritesReplaceFilesWhole) {
  Tensor w({2, 2}, {1, 2, 3, 4});
  std::string path = file("w.safetensors");
  writeRaw("w.safetensors", "an older file");
  ASSERT_FALSE(SafeTensorsFile::write(path, {{"w", &w}}));
  ASSERT_FALSE(writeNpy(file("y.npy"), w));
  std::vector<std::string> names;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec))
    names.push_back(llvm::sys::path::filename(it->path()).str());
  llvm::sort(names);
  EXPECT_EQ(names, (std::vector<std::string>{"w.safetensors", "y.npy"}));
  auto f = SafeTensorsFile::open(path);
  ASSERT_TRUE(bool(f));
  auto y = readNpy(file("y.npy"));
  ASSERT_TRUE(bool(y));
  EXPECT_EQ(y->data, w.data);
  // A symbolic link is written through, and stays a link.
  ASSERT_FALSE(llvm::sys::fs::create_link(file("y.npy"), file("link.npy")));
  Tensor v({1}, {5});
  ASSERT_FALSE(writeNpy(file("link.npy"), v));
  llvm::sys::fs::file_status link;
  ASSERT_FALSE(llvm::sys::fs::status(file("link.npy"), link, false));
  EXPECT_EQ(link.type(), llvm::sys::fs::file_type::symlink_file);
  auto through = readNpy(file("y.npy"));
  ASSERT_TRUE(bool(through));
  EXPECT_EQ(through->data, v.data);
  // A directory that does not exist: the error names the path.
  std::string missing = file("no/such/dir/y.npy");
  EXPECT_NE(errorOf(writeNpy(missing, w)).find(missing + ": cannot write: "),
            std::string::npos);
}

// A tensor name from the file with a control character (NUL included) is
// shown escaped, not cut.
TEST_F(IOTest, MissingTensorMessageEscapesNames) {
  Tensor w({1}, {1});
  std::string path = file("nul.safetensors");
  ASSERT_FALSE(SafeTensorsFile::write(path, {{std::string("b\0x", 3), &w}}));
  auto f = SafeTensorsFile::open(path);
  ASSERT_TRUE(bool(f));
  std::string message = errorOf((*f)->read("b", {1}).takeError());
  EXPECT_NE(message.find("'b\\x00x'"), std::string::npos) << message;
}
} // namespace
