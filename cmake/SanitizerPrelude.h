/* Included first in every file of the sanitizer build (TP_SANITIZE).
 *
 * LLVM's allocators poison the unused parts of their slabs when LLVM itself
 * is built with AddressSanitizer. Debian's libLLVM and libMLIR are not, but
 * the allocator code inlined from their headers into tp-mlir's (sanitized)
 * files would poison anyway, and libMLIR's uninstrumented code then trips
 * over memory that only half the program believes poisoned. The poisoning
 * calls are made no-ops here, so that both halves agree; ASan still checks
 * every access tp-mlir makes. */
#ifndef TP_MLIR_SANITIZER_PRELUDE_H
#define TP_MLIR_SANITIZER_PRELUDE_H
#include <sanitizer/asan_interface.h>
#define __asan_poison_memory_region(addr, size) ((void)(addr), (void)(size))
#define __asan_unpoison_memory_region(addr, size) ((void)(addr), (void)(size))
#endif
