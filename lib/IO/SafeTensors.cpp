//===- SafeTensors.cpp - reading and writing .safetensors files -----------===//

#include "tp-mlir/IO/SafeTensors.h"

#include "tp-mlir/IO/FloatConversion.h"

#include "tp-mlir/Support/InputGuards.h"
#include "tp-mlir/Support/Limits.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <algorithm>
#include <cstring>
#include <sys/mman.h>
#include <unistd.h>

using namespace mlir::tp;
using llvm::createStringError;

/// The format of the dtypes the loader reads (F32 as it is, the others
/// converted to F32), or none.
static std::optional<SourceFloat> getSourceFloat(llvm::StringRef dtype) {
  return llvm::StringSwitch<std::optional<SourceFloat>>(dtype)
      .Case("F32", SourceFloat::F32)
      .Case("F16", SourceFloat::F16)
      .Case("BF16", SourceFloat::BF16)
      .Case("F64", SourceFloat::F64)
      .Default(std::nullopt);
}

/// Bytes per element of the dtypes the loader reads, or 0 for any other.
static int64_t getElementBytes(llvm::StringRef dtype) {
  std::optional<SourceFloat> kind = getSourceFloat(dtype);
  return kind ? getSourceFloatBytes(*kind) : 0;
}

llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
mlir::tp::openRegularFile(llvm::StringRef path, bool isText) {
  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(path, status))
    return llvm::createStringError(ec, "%s", ec.message().c_str());
  if (status.type() != llvm::sys::fs::file_type::regular_file)
    return llvm::createStringError(
        std::errc::invalid_argument,
        "it is not a regular file (a directory, a device or a pipe)");
  auto buffer = llvm::MemoryBuffer::getFile(path, isText,
                                            /*RequiresNullTerminator=*/isText);
  if (!buffer)
    return llvm::createStringError(buffer.getError(), "%s",
                                   buffer.getError().message().c_str());
  return std::move(*buffer);
}

/// Whether `bytes` start like a PyTorch checkpoint (torch.save): a zip
/// archive, or a pickle stream of the older format.
static bool looksLikeTorchSave(llvm::StringRef bytes) {
  return bytes.starts_with("PK\x03\x04") || bytes.starts_with("\x80\x02") ||
         bytes.starts_with("\x80\x04") || bytes.starts_with("\x80\x05");
}

llvm::Expected<std::unique_ptr<SafeTensorsFile>>
SafeTensorsFile::open(llvm::StringRef path) {
  auto buffer = openRegularFile(path, /*isText=*/false);
  if (!buffer)
    return createStringError(std::errc::invalid_argument, "%s: cannot open: %s",
                             path.str().c_str(),
                             llvm::toString(buffer.takeError()).c_str());
  return fromBuffer(std::move(*buffer), path);
}

llvm::Expected<std::unique_ptr<SafeTensorsFile>>
SafeTensorsFile::fromBuffer(std::unique_ptr<llvm::MemoryBuffer> buffer,
                            llvm::StringRef path) {
  auto file = std::make_unique<SafeTensorsFile>();
  file->path = path.str();
  auto fail = [&](const llvm::Twine &message) {
    return createStringError(std::errc::invalid_argument, "%s: %s",
                             path.str().c_str(), message.str().c_str());
  };
  file->buffer = std::move(buffer);
  llvm::StringRef bytes = file->buffer->getBuffer();
  // A safetensors header's length can begin with a pickle's bytes (640 is
  // 80 02 ...): only a file that is not framed as safetensors is taken for
  // a checkpoint.
  bool framed =
      bytes.size() >= 8 &&
      llvm::support::endian::read64le(bytes.data()) <= bytes.size() - 8 &&
      bytes.drop_front(8).ltrim(" \t\r\n").starts_with("{");
  if (!framed && looksLikeTorchSave(bytes))
    return fail("this is a PyTorch checkpoint (torch.save), not a "
                "safetensors file; convert it with: python3 -c \"import "
                "torch; from safetensors.torch import save_file; "
                "save_file({k: v.contiguous() for k, v in "
                "torch.load('model.pt').items()}, 'model.safetensors')\"");
  if (!framed && bytes.starts_with("\x93NUMPY"))
    return fail("this is a NumPy array (.npy), not a safetensors file of "
                "weights; an input batch goes to --input");
  if (bytes.size() < 8)
    return fail("truncated: " + llvm::Twine(bytes.size()) +
                " bytes, too short for the 8-byte header length");
  uint64_t headerSize = llvm::support::endian::read64le(bytes.data());
  if (headerSize > bytes.size() - 8)
    return fail("the header length " + llvm::Twine(headerSize) +
                " reaches past the end of the file (" +
                llvm::Twine(bytes.size()) + " bytes)");
  llvm::StringRef header = bytes.substr(8, headerSize);
  file->data = bytes.data() + 8 + headerSize;
  file->dataSize = bytes.size() - 8 - headerSize;

  // LLVM's JSON parser recurses once per level of nesting.
  if (std::string deep = checkNestingDepth(header, "weights files nest three");
      !deep.empty())
    return fail("the JSON header: " + deep);
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(header);
  if (!json)
    return fail("malformed JSON header: " + llvm::toString(json.takeError()));
  const llvm::json::Object *root = json->getAsObject();
  if (!root)
    return fail("the header is not a JSON object");
  if (auto repeated = findRepeatedJSONKey(header))
    return fail(repeated->second.empty()
                    ? "the header names '" + repeated->first +
                          "' more than once; each key must appear once"
                    : "the header's '" + repeated->second + "' names '" +
                          repeated->first +
                          "' more than once; each key must appear once");
  for (const auto &[key, value] : *root) {
    llvm::StringRef name = key;
    if (name == "__metadata__") {
      const llvm::json::Object *metadata = value.getAsObject();
      if (!metadata || !llvm::all_of(*metadata, [](const auto &item) {
            return item.second.getAsString().has_value();
          }))
        return fail("'__metadata__' must be an object of strings");
      continue;
    }
    auto bad = [&](const llvm::Twine &what) {
      return fail("tensor '" + name + "': " + what);
    };
    const llvm::json::Object *obj = value.getAsObject();
    if (!obj)
      return bad("the entry is not an object");
    Entry entry;
    std::optional<llvm::StringRef> dtype = obj->getString("dtype");
    const llvm::json::Array *shape = obj->getArray("shape");
    const llvm::json::Array *offsets = obj->getArray("data_offsets");
    if (!dtype || !shape || !offsets || offsets->size() != 2)
      return bad("expected 'dtype', 'shape' and two 'data_offsets'");
    entry.dtype = dtype->str();
    for (const llvm::json::Value &d : *shape) {
      std::optional<int64_t> extent = d.getAsInteger();
      if (!extent || *extent < 0)
        return bad("the shape holds a value that is not a size");
      entry.shape.push_back(*extent);
    }
    std::optional<int64_t> count = getCheckedNumElements(entry.shape);
    if (!count)
      return bad("shape " + formatShape(entry.shape) + " has more than " +
                 llvm::Twine(kMaxTensorElements) +
                 " elements (tp-mlir's limit)");
    std::optional<int64_t> begin = (*offsets)[0].getAsInteger();
    std::optional<int64_t> end = (*offsets)[1].getAsInteger();
    if (!begin || !end || *begin < 0 || *end < *begin)
      return bad("invalid data_offsets");
    entry.begin = *begin;
    entry.end = *end;
    if (entry.end > file->dataSize)
      return bad("data_offsets [" + llvm::Twine(entry.begin) + ", " +
                 llvm::Twine(entry.end) + ") reach past the end of the data (" +
                 llvm::Twine(file->dataSize) + " bytes)");
    if (int64_t bytes = getElementBytes(entry.dtype);
        bytes &&
        entry.end - entry.begin != bytes * static_cast<uint64_t>(*count))
      return bad("shape " + formatShape(entry.shape) + " needs " +
                 llvm::Twine(bytes * *count) + " bytes of " + entry.dtype +
                 ", data_offsets hold " + llvm::Twine(entry.end - entry.begin));
    file->tensors[name] = std::move(entry);
  }
  // Each byte of the data belongs to one tensor at most: overlapping
  // tensors mean a corrupt or hand-made header.
  std::vector<std::pair<llvm::StringRef, const Entry *>> byStart;
  for (const auto &item : file->tensors)
    if (item.getValue().end > item.getValue().begin)
      byStart.push_back({item.getKey(), &item.getValue()});
  llvm::sort(byStart, [](const auto &a, const auto &b) {
    return a.second->begin < b.second->begin;
  });
  for (size_t i = 1; i < byStart.size(); ++i)
    if (byStart[i].second->begin < byStart[i - 1].second->end)
      return fail("tensors '" + byStart[i - 1].first + "' and '" +
                  byStart[i].first + "' share bytes: data_offsets [" +
                  llvm::Twine(byStart[i - 1].second->begin) + ", " +
                  llvm::Twine(byStart[i - 1].second->end) + ") and [" +
                  llvm::Twine(byStart[i].second->begin) + ", " +
                  llvm::Twine(byStart[i].second->end) + ")");
  return file;
}

std::string SafeTensorsFile::describeNames(llvm::StringRef missing) const {
  if (tensors.empty())
    return "; the file holds no tensors";
  // The closest name first, then the file's names in order, a few of them.
  std::vector<std::string> names;
  for (const auto &entry : tensors)
    names.push_back(entry.getKey().str());
  llvm::sort(names);
  // The fewest edits; among equals, the longest common prefix
  // ("l1.weights" over "l0.weight" for "l1.weight").
  std::string closest;
  unsigned best = ~0u;
  size_t bestPrefix = 0;
  for (const std::string &n : names) {
    unsigned d = llvm::StringRef(n).edit_distance(missing);
    size_t prefix = 0;
    while (prefix < n.size() && prefix < missing.size() &&
           n[prefix] == missing[prefix])
      ++prefix;
    if (d < best || (d == best && prefix > bestPrefix)) {
      best = d;
      bestPrefix = prefix;
      closest = n;
    }
  }
  std::string text;
  if (best <= std::max<size_t>(3, missing.size() / 3))
    text += "; did you mean '" + closest + "'?";
  text += " The file holds " + std::to_string(names.size()) + " tensor" +
          (names.size() == 1 ? "" : "s") + ": ";
  constexpr size_t kListed = 8;
  for (size_t i = 0; i < names.size() && i < kListed; ++i)
    text += (i ? ", " : "") + names[i];
  if (names.size() > kListed)
    text += ", ...";
  return text;
}

uint64_t SafeTensorsFile::fingerprint() const {
  std::vector<llvm::StringRef> names;
  for (const auto &entry : tensors)
    names.push_back(entry.getKey());
  llvm::sort(names);
  std::string text;
  llvm::raw_string_ostream os(text);
  constexpr uint64_t kSample = 64;
  for (llvm::StringRef name : names) {
    const Entry &e = tensors.find(name)->second;
    os << name.size() << ':' << name << e.dtype << '[';
    for (int64_t d : e.shape)
      os << d << ',';
    os << "];";
    uint64_t size = e.end - e.begin;
    for (uint64_t at :
         {uint64_t(0), size / 2, size > kSample ? size - kSample : 0})
      os.write(data + e.begin + at, std::min(kSample, size - at));
  }
  return llvm::xxh3_64bits(llvm::StringRef(text));
}

llvm::Error SafeTensorsFile::readSlice(llvm::StringRef name,
                                       llvm::ArrayRef<int64_t> expectedShape,
                                       std::optional<int64_t> dim,
                                       int64_t offset, int64_t size,
                                       SliceSink sink) const {
  auto fail = [&](const llvm::Twine &message) {
    // Tensor names come from the file: a control character, NUL included,
    // is shown as \xNN rather than cutting or garbling the message.
    std::string shown;
    for (unsigned char c : message.str()) {
      if (c < 0x20 || c == 0x7f)
        shown += llvm::formatv("\\x{0:x-2}", unsigned(c)).str();
      else
        shown += static_cast<char>(c);
    }
    return createStringError(std::errc::invalid_argument, "%s: %s",
                             path.c_str(), shown.c_str());
  };
  auto it = tensors.find(name);
  if (it == tensors.end())
    return fail("no tensor named '" + name + "'" + describeNames(name));
  const Entry &entry = it->second;
  std::optional<SourceFloat> kind = getSourceFloat(entry.dtype);
  if (!kind)
    return fail("tensor '" + name + "' has dtype " + entry.dtype +
                "; tp-mlir reads F32 weights, and F16, BF16 and F64 ones "
                "converted to F32");
  if (llvm::ArrayRef<int64_t>(entry.shape) != expectedShape)
    return fail("tensor '" + name + "' has shape " + formatShape(entry.shape) +
                ", the model expects " + formatShape(expectedShape));
  const char *base = data + entry.begin;
  // The slice is `outer` runs of `size * inner` contiguous elements; the
  // whole tensor is one run.
  int64_t extent = 1, inner = 1, outer = 1;
  if (dim) {
    extent = entry.shape[*dim];
    inner =
        numElements(llvm::ArrayRef<int64_t>(entry.shape).drop_front(*dim + 1));
    outer = numElements(llvm::ArrayRef<int64_t>(entry.shape).take_front(*dim));
  } else {
    size = extent = numElements(entry.shape);
    offset = 0;
  }
  // Hand over the slice only, and give the mapped pages back as it goes: the
  // kernel maps the neighbours of every page read (fault-around), so a
  // column shard would otherwise keep the whole weight resident in every
  // process, and a whole tensor would stay resident twice.
  constexpr int64_t kReleaseBytes = 1 << 20;
  int64_t esize = getSourceFloatBytes(*kind);
  int64_t runBytes = esize * size * inner;
  auto run = [&](int64_t o) {
    return base + esize * (o * extent + offset) * inner;
  };
  // F64 rounds to F32; a finite value past F32's range would become an
  // infinity, so it is refused before any piece is handed over. The scan
  // gives its pages back as the copy below does.
  if (*kind == SourceFloat::F64)
    for (int64_t o = 0; o < outer; ++o) {
      std::optional<double> v = findBeyondF32(run(o), size * inner);
      release(run(o), run(o) + runBytes);
      if (v)
        return fail("tensor '" + name + "' (F64) holds " + formatShortest(*v) +
                    ", beyond the range of F32");
    }
  std::vector<float> converted;
  int64_t at = 0;
  const char *unreleased = nullptr;
  for (int64_t o = 0; o < outer; ++o) {
    const char *src = run(o);
    for (int64_t done = 0; done < runBytes; done += kReleaseBytes) {
      int64_t piece = std::min(kReleaseBytes, runBytes - done);
      if (*kind == SourceFloat::F32) {
        sink(at, src + done, piece);
        at += piece;
      } else {
        converted.resize(piece / esize);
        convertToF32(*kind, src + done, converted.data(), converted.size());
        sink(at, reinterpret_cast<const char *>(converted.data()),
             4 * static_cast<int64_t>(converted.size()));
        at += 4 * static_cast<int64_t>(converted.size());
      }
      if (!unreleased)
        unreleased = src + done;
      if (src + done + piece - unreleased >= kReleaseBytes) {
        release(unreleased, src + done + piece);
        unreleased = nullptr;
      }
    }
    if (o + 1 == outer && unreleased)
      release(unreleased, src + runBytes);
  }
  return llvm::Error::success();
}

llvm::Expected<Tensor> SafeTensorsFile::read(
    llvm::StringRef name, llvm::ArrayRef<int64_t> expectedShape,
    std::optional<int64_t> dim, int64_t offset, int64_t size) const {
  llvm::SmallVector<int64_t> shape(expectedShape);
  if (dim && *dim >= 0 && *dim < static_cast<int64_t>(shape.size()))
    shape[*dim] = size;
  // The shape is checked before any byte is handed over.
  std::optional<Tensor> t;
  if (llvm::Error e =
          readSlice(name, expectedShape, dim, offset, size,
                    [&](int64_t at, const char *bytes, int64_t count) {
                      if (!t)
                        t.emplace(shape);
                      std::memcpy(reinterpret_cast<char *>(t->data.data()) + at,
                                  bytes, count);
                    }))
    return std::move(e);
  if (!t)
    t.emplace(shape); // an empty slice
  return std::move(*t);
}

void SafeTensorsFile::release(const char *begin, const char *end) const {
  // Only pages of a file mapping come back from the page cache when read
  // again; dropping those of a malloc'd buffer would lose the data.
  if (buffer->getBufferKind() != llvm::MemoryBuffer::MemoryBuffer_MMap)
    return;
  // Whole pages inside the range only, so that nothing else is touched.
  static const uintptr_t page = sysconf(_SC_PAGESIZE);
  uintptr_t lo = (reinterpret_cast<uintptr_t>(begin) + page - 1) & ~(page - 1);
  uintptr_t hi = reinterpret_cast<uintptr_t>(end) & ~(page - 1);
  if (hi > lo)
    madvise(reinterpret_cast<void *>(lo), hi - lo, MADV_DONTNEED);
}

llvm::Error SafeTensorsFile::write(
    llvm::StringRef path,
    llvm::ArrayRef<std::pair<std::string, const Tensor *>> tensors) {
  llvm::json::Object header;
  uint64_t offset = 0;
  for (const auto &[name, t] : tensors) {
    llvm::json::Array shape;
    for (int64_t d : t->shape)
      shape.push_back(d);
    uint64_t bytes = 4 * t->data.size();
    header[name] = llvm::json::Object{
        {"dtype", "F32"},
        {"shape", std::move(shape)},
        {"data_offsets", llvm::json::Array{offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text;
  llvm::raw_string_ostream(text) << llvm::json::Value(std::move(header));
  while ((8 + text.size()) % 8)
    text.push_back(' ');
  return writeFileWhole(path, [&](llvm::raw_ostream &os) {
    char length[8];
    llvm::support::endian::write64le(length, text.size());
    os.write(length, 8);
    os << text;
    for (const auto &[name, t] : tensors)
      os.write(reinterpret_cast<const char *>(t->data.data()),
               4 * t->data.size());
  });
}
