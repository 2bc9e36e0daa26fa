//===- HeapPolicyTest.cpp - the tools' heap in transparent huge pages -----===//
//
// tp_rt_retain_freed_memory advises the heap's top for transparent huge
// pages, and tp_rt_trim_heap advises it again after giving it back. Checked
// where the kernel gives huge pages only to advised ranges ("madvise"
// mode), by the eligibility that /proc/self/smaps reports for the mapping of
// a fresh block: without the advice it is 0 there.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/Runtime/RuntimeABI.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#if defined(__SANITIZE_ADDRESS__)
#define TP_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TP_TEST_ASAN 1
#endif
#endif

namespace {
/// The THPeligible field of the mapping that holds `p`, if smaps has one.
std::optional<bool> hugePageEligible(const void *p) {
  std::ifstream smaps("/proc/self/smaps");
  auto at = reinterpret_cast<uintptr_t>(p);
  bool inside = false;
  std::string line;
  while (std::getline(smaps, line)) {
    uintptr_t begin = 0, end = 0;
    char dash = 0;
    std::istringstream range(line);
    if (range >> std::hex >> begin >> dash >> end && dash == '-' &&
        line.find(':') > line.find(' ')) {
      inside = begin <= at && at < end;
      continue;
    }
    if (inside && line.rfind("THPeligible:", 0) == 0)
      return line.find('1') != std::string::npos;
  }
  return std::nullopt;
}

/// Whether this kernel gives huge pages to advised ranges only.
bool madviseMode() {
  std::ifstream mode("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string text;
  std::getline(mode, text);
  return text.find("[madvise]") != std::string::npos;
}

/// Whether the system commits memory strictly (vm.overcommit_memory = 2),
/// where the policy leaves the heap alone.
bool strictOvercommit() {
  std::ifstream mode("/proc/sys/vm/overcommit_memory");
  std::string text;
  std::getline(mode, text);
  return text == "2";
}

/// A fresh block of `bytes`, touched: whether its middle's mapping is
/// eligible.
std::optional<bool> freshBlockEligible(size_t bytes) {
  char *block = static_cast<char *>(std::malloc(bytes));
  if (!block)
    return std::nullopt;
  std::memset(block, 1, bytes);
  std::optional<bool> eligible = hugePageEligible(block + bytes / 2);
  std::free(block);
  return eligible;
}

TEST(HeapPolicyTest, HeapTopIsAdvisedBeforeAndAfterATrim) {
#if !defined(__GLIBC__) || defined(TP_TEST_ASAN)
  GTEST_SKIP() << "the policy is glibc's heap's";
#endif
  if (!madviseMode())
    GTEST_SKIP() << "transparent huge pages are not in madvise mode here";
  if (strictOvercommit())
    GTEST_SKIP() << "memory is committed strictly here";
  ASSERT_EQ(tp_rt_retain_freed_memory(), 1);
  std::optional<bool> before = freshBlockEligible(size_t(64) << 20);
  ASSERT_TRUE(before.has_value()) << "no THPeligible in /proc/self/smaps";
  EXPECT_TRUE(*before);
  // Larger than any hole the first block can have left below the top: the
  // heap grows again past what the trim gave back.
  tp_rt_trim_heap();
  std::optional<bool> after = freshBlockEligible(size_t(256) << 20);
  ASSERT_TRUE(after.has_value());
  EXPECT_TRUE(*after);
}
} // namespace
