//===- StackGuard.h - a large stack, and its overflow as an error -*- C++
//-*-===//
//
// MLIR's parser and its affine simplification recurse once per level of an
// expression or an alias chain, and a file of a few kilobytes (20,000 unary
// minus signs in an affine map, a chain of type aliases) overflows a
// thread's 8 MiB. The tools run their work on a thread with a stack of
// kToolStackBytes (only the pages touched are backed), and an overflow of
// it, however deep the input, ends the tool with an error rather than a
// crash:
//
//   tp-opt: error: the stack of 1024 MiB is used up: the input nests too
//   deeply (a long expression, an alias chain), or tp-opt recursed without
//   end
//
// A fault anywhere else is left to LLVM's handler (a stack dump). LLVM's
// fatal errors (report_fatal_error: corrupt MLIR bytecode asks a SmallVector
// for billions of elements) print an error and exit 1, rather than abort.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_SUPPORT_STACKGUARD_H
#define TP_MLIR_SUPPORT_STACKGUARD_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"

#include <cstddef>

namespace mlir::tp {

constexpr size_t kToolStackBytes = size_t(1) << 30;

/// Runs `body` on a thread with a stack of kToolStackBytes, and exits the
/// process from that thread with `body`'s code, so that exit handlers run
/// on the thread that did the work (MPI_Finalize must). An overflow of that
/// stack prints an error naming `tool` and exits 1. Call it after
/// llvm::InitLLVM, whose fault handler it chains to. Returns only when no
/// such thread can be made, with `body`'s code run here.
int runWithStackGuard(llvm::StringRef tool, llvm::function_ref<int()> body);

} // namespace mlir::tp

#endif // TP_MLIR_SUPPORT_STACKGUARD_H
