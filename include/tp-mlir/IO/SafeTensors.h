//===- SafeTensors.h - reading and writing .safetensors files ---*- C++ -*-===//
//
// The safetensors format: an 8-byte little-endian header length, a JSON
// header mapping tensor names to {dtype, shape, data_offsets}, then the
// data. The file is memory-mapped and a tensor, or one slice of it along a
// dimension, is copied out on demand, so each rank reads only its shard.
// Every inconsistency (a truncated file, a header or data offset past the
// end, a missing name, a wrong dtype or shape) is an error naming the file
// and the tensor. F16, BF16 and F64 tensors are read converted to F32.
//
//===----------------------------------------------------------------------===//

#ifndef TP_MLIR_IO_SAFETENSORS_H
#define TP_MLIR_IO_SAFETENSORS_H

#include "tp-mlir/Evaluator/Tensor.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <optional>
#include <string>

namespace mlir::tp {

class SafeTensorsFile {
public:
  struct Entry {
    std::string dtype;
    llvm::SmallVector<int64_t> shape;
    uint64_t begin = 0, end = 0; // byte offsets into the data section
  };

  /// Maps `path` and checks the whole header against the file size.
  static llvm::Expected<std::unique_ptr<SafeTensorsFile>>
  open(llvm::StringRef path);
  /// The same for bytes already in memory; `path` names them in errors.
  static llvm::Expected<std::unique_ptr<SafeTensorsFile>>
  fromBuffer(std::unique_ptr<llvm::MemoryBuffer> buffer, llvm::StringRef path);

  /// The tensor `name` as F32 (F16, BF16 and F64 tensors are converted;
  /// other dtypes are refused), which must have shape `expectedShape`; when
  /// `dim` is given, only the slice [offset, offset + size) along it.
  llvm::Expected<Tensor> read(llvm::StringRef name,
                              llvm::ArrayRef<int64_t> expectedShape,
                              std::optional<int64_t> dim = std::nullopt,
                              int64_t offset = 0, int64_t size = 0) const;

  /// The same slice, handed to `sink` in pieces of its packed row-major
  /// F32 bytes (`at` is a piece's byte offset in the slice), straight from
  /// the mapping for an F32 tensor: a caller copies it where it goes (device
  /// memory) with no copy in between; another dtype is converted a piece at
  /// a time. Errors (an F64 value beyond F32's range included) are reported
  /// before any piece.
  using SliceSink =
      llvm::function_ref<void(int64_t at, const char *bytes, int64_t size)>;
  llvm::Error readSlice(llvm::StringRef name,
                        llvm::ArrayRef<int64_t> expectedShape,
                        std::optional<int64_t> dim, int64_t offset,
                        int64_t size, SliceSink sink) const;

  const llvm::StringMap<Entry> &entries() const { return tensors; }

  /// A hash of each tensor's name, dtype and shape and of 64 bytes at the
  /// start, the middle and the end of its data (not of where it lies in the
  /// file: the same tensors saved in another order agree): two checkpoints
  /// of one architecture differ there, and a rank that reads only its
  /// shard reads three pages per tensor more.
  uint64_t fingerprint() const;

  /// Writes `tensors` (name, tensor) as F32 in the given order.
  static llvm::Error
  write(llvm::StringRef path,
        llvm::ArrayRef<std::pair<std::string, const Tensor *>> tensors);

private:
  /// "; did you mean 'x'? The file holds ...": the names near `missing`.
  std::string describeNames(llvm::StringRef missing) const;
  /// Drops the pages of [begin, end) of the mapping from this process's
  /// resident memory (they stay in the page cache).
  void release(const char *begin, const char *end) const;

  std::string path;
  std::unique_ptr<llvm::MemoryBuffer> buffer;
  const char *data = nullptr; // start of the data section
  uint64_t dataSize = 0;
  llvm::StringMap<Entry> tensors;
};

/// Maps (or reads) the regular file `path`. A directory, a device such as
/// /dev/zero or a pipe is refused: it has no size, and reading it to its end
/// may never finish. The error says only why, for the caller to name the
/// file its own way.
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
openRegularFile(llvm::StringRef path, bool isText);

/// Reads a little-endian float32 .npy file (C order, format 1.0 to 3.0).
llvm::Expected<Tensor> readNpy(llvm::StringRef path);
/// The same for the bytes of one; `path` names them in errors.
llvm::Expected<Tensor> parseNpy(llvm::StringRef bytes, llvm::StringRef path);
/// Writes `t` as a float32 .npy file (format 1.0).
llvm::Error writeNpy(llvm::StringRef path, const Tensor &t);

/// Writes the file `path` with `write`: into a temporary file beside it,
/// renamed over `path` once whole, so that a run that fails or is killed
/// midway leaves no partial file behind. A symbolic link stays a link: the
/// file it leads to is replaced so. Written in place, through it: "-"
/// (standard output), a device such as /dev/full, a pipe, a link through
/// /dev or /proc (/dev/stdout, whatever it was redirected to), and a file
/// whose directory this user may not write.
/// Errors read "PATH: cannot write: WHY".
llvm::Error writeFileWhole(llvm::StringRef path,
                           llvm::function_ref<void(llvm::raw_ostream &)> write);

/// "" when `path` can be written ("-", standard output; a file that exists
/// and is writable; or a new file in a writable directory), else why not, with
/// `what` (the option) in the message. Nothing is opened or truncated: tools
/// check their outputs before the work, so that a run does not end by failing
/// to save what it computed.
std::string checkOutputWritable(llvm::StringRef path, llvm::StringRef what);

/// One file for writeFilesWhole: its path and what writes it.
struct FileWriter {
  llvm::StringRef path;
  llvm::function_ref<void(llvm::raw_ostream &)> write;
};

/// writeFileWhole for files that belong together (an object and its
/// header): every file that is written through a temporary is written
/// first, then those written in place, and the temporaries are renamed
/// only when all of those succeeded, so that a failure before the renames
/// leaves each renamed file as it was (what was written in place stays
/// written). The first error is returned.
llvm::Error writeFilesWhole(llvm::ArrayRef<FileWriter> files);

} // namespace mlir::tp

#endif // TP_MLIR_IO_SAFETENSORS_H
