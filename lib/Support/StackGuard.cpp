//===- StackGuard.cpp - a large stack, and its overflow as an error -------===//

#include "tp-mlir/Support/StackGuard.h"

#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/raw_ostream.h"

#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <pthread.h>
#include <string>
#include <unistd.h>

using namespace mlir::tp;

namespace {
/// Below the stack's lowest address: its guard pages, and a frame that
/// stepped past them (MLIR's frames are at most a few KiB).
constexpr uintptr_t kGuardBytes = uintptr_t(1) << 20;
/// The stack's lowest address, and the message its overflow prints.
std::atomic<uintptr_t> stackLow{0};
char message[256];
size_t messageLength = 0;
// A plain array: a fatal error during exit must not read a destroyed
// string.
char toolName[64];
struct sigaction previousSegv, previousBus;

void onFault(int signal, siginfo_t *info, void *context) {
  uintptr_t low = stackLow.load(std::memory_order_relaxed);
  auto address = reinterpret_cast<uintptr_t>(info->si_addr);
  if (low && address + kGuardBytes >= low && address < low + 4096) {
    // Async-signal-safe: one write, and _exit.
    ssize_t written = write(STDERR_FILENO, message, messageLength);
    (void)written;
    _exit(1);
  }
  // Not an overflow of the tool's stack: LLVM's handler reports it.
  const struct sigaction &previous =
      signal == SIGBUS ? previousBus : previousSegv;
  if (previous.sa_flags & SA_SIGINFO) {
    if (previous.sa_sigaction) {
      previous.sa_sigaction(signal, info, context);
      return;
    }
  } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
    previous.sa_handler(signal);
    return;
  }
  // Default action: restore it and let the fault happen again.
  sigaction(signal, &previous, nullptr);
}

void *runJob(void *argument) {
  auto &body = *static_cast<llvm::function_ref<int()> *>(argument);
  // The handler cannot run on the stack that overflowed.
  static char alternate[1 << 16];
  stack_t stack{};
  stack.ss_sp = alternate;
  stack.ss_size = sizeof(alternate);
  sigaltstack(&stack, nullptr);
  pthread_attr_t attributes;
  if (pthread_getattr_np(pthread_self(), &attributes) == 0) {
    void *low = nullptr;
    size_t size = 0;
    if (pthread_attr_getstack(&attributes, &low, &size) == 0)
      stackLow.store(reinterpret_cast<uintptr_t>(low));
    pthread_attr_destroy(&attributes);
  }
  int code = body();
  stackLow.store(0);
  // The exit handlers run here, on the thread that did the work: MPI's
  // (MPI_Finalize) must run on the thread that initialized it.
  std::exit(code);
}
} // namespace

int mlir::tp::runWithStackGuard(llvm::StringRef tool,
                                llvm::function_ref<int()> body) {
  std::string text =
      tool.str() + ": error: the stack of " +
      std::to_string(kToolStackBytes >> 20) +
      " MiB is used up: the input nests too deeply (a long expression, an "
      "alias chain), or " +
      tool.str() + " recursed without end\n";
  messageLength = std::min(text.size(), sizeof(message));
  std::memcpy(message, text.data(), messageLength);

  // LLVM's fatal errors (a corrupt bytecode file asks a SmallVector for
  // billions of elements) end the tool with an error, not an abort.
  std::snprintf(toolName, sizeof(toolName), "%s", tool.str().c_str());
  llvm::install_fatal_error_handler(
      [](void *, const char *reason, bool) {
        llvm::outs().flush();
        llvm::errs() << toolName << ": error: LLVM cannot go on: " << reason
                     << " (a malformed input, such as a corrupt MLIR bytecode "
                        "file, or a fault of "
                     << toolName << ")\n";
        llvm::sys::RunInterruptHandlers();
        _exit(1);
      },
      nullptr);

  struct sigaction action {};
  action.sa_sigaction = onFault;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  sigaction(SIGSEGV, &action, &previousSegv);
  sigaction(SIGBUS, &action, &previousBus);

  pthread_attr_t attributes;
  pthread_t thread;
  // A guard as deep as the handler's window: a frame larger than a page
  // could otherwise step over glibc's one-page guard into a mapping below.
  bool started = pthread_attr_init(&attributes) == 0 &&
                 pthread_attr_setstacksize(&attributes, kToolStackBytes) == 0 &&
                 pthread_attr_setguardsize(&attributes, kGuardBytes) == 0 &&
                 pthread_create(&thread, &attributes, runJob, &body) == 0;
  pthread_attr_destroy(&attributes);
  if (!started)
    // No thread of that size: the work runs here, on the usual stack.
    return body();
  // The thread ends the process when the work is done.
  pthread_join(thread, nullptr);
  return 1;
}
