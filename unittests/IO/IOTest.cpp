//===- IOTest.cpp - the safetensors and .npy loaders ----------------------===//

#include "tp-mlir/IO/SafeTensors.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

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
      {"f16", R"({"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", 4,
       nullptr},
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
      // Opens, but reading a non-F32 tensor is refused.
      ASSERT_TRUE(bool(opened)) << c.name;
      EXPECT_NE(errorOf((*opened)->read("w", {2}).takeError())
                    .find("tensor 'w' has dtype F16; tp-mlir reads F32"),
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
  // A file written by numpy.save(np.arange(3, dtype='<f8')) is refused.
  std::string f8("\x93NUMPY\x01\x00", 8);
  std::string header =
      "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }";
  header.resize(117, ' ');
  header += "\n";
  f8 += std::string(1, char(header.size())) + std::string(1, '\0') + header +
        std::string(24, '\0');
  EXPECT_NE(errorOf(readNpy(writeRaw("f8.npy", f8)).takeError())
                .find("expected little-endian float32 data ('<f4'), found "
                      "'<f8'"),
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
