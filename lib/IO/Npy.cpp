//===- Npy.cpp - reading and writing float .npy files ---------------------===//
//
// The format: the magic "\x93NUMPY", a version, a header length (2 bytes in
// version 1, 4 in versions 2 and 3), and a Python dict literal with 'descr',
// 'fortran_order' and 'shape', padded so the data starts aligned.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/IO/SafeTensors.h"

#include "tp-mlir/IO/FloatConversion.h"

#include "tp-mlir/Support/Limits.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <optional>
#include <unistd.h>
#include <vector>

using namespace mlir::tp;

namespace {
/// The entries of a header's dict literal, each value's text whole (to its
/// top-level comma), or what is wrong with it: np.load evaluates the
/// literal (ast.literal_eval), so a repeated key would be the last one
/// there, and text after the dict a syntax error.
struct HeaderDict {
  llvm::StringMap<llvm::StringRef> values;
  std::string error;
};

HeaderDict parseHeaderDict(llvm::StringRef header) {
  HeaderDict dict;
  llvm::StringRef rest = header.ltrim();
  auto fail = [&](const llvm::Twine &message) {
    dict.error = message.str();
    return dict;
  };
  if (!rest.consume_front("{"))
    return fail("the header is not a Python dict ({'descr': ..., "
                "'fortran_order': ..., 'shape': ...})");
  while (true) {
    rest = rest.ltrim();
    if (rest.consume_front("}"))
      break;
    char quote = rest.empty() ? 0 : rest.front();
    size_t close = quote == '\'' || quote == '"' ? rest.find(quote, 1)
                                                 : llvm::StringRef::npos;
    if (close == llvm::StringRef::npos)
      return fail("the header's dict has a key that is not a quoted string "
                  "at '" +
                  rest.take_front(16) + "'");
    llvm::StringRef key = rest.slice(1, close);
    rest = rest.drop_front(close + 1).ltrim();
    if (!rest.consume_front(":"))
      return fail("the header's dict has no ':' after '" + key + "'");
    rest = rest.ltrim();
    // The value: to the comma or brace that ends it, past nested brackets
    // and quoted text.
    size_t end = 0;
    int depth = 0;
    char inQuote = 0;
    for (; end < rest.size(); ++end) {
      char c = rest[end];
      if (inQuote) {
        inQuote = c == inQuote ? 0 : inQuote;
        continue;
      }
      if (c == '\'' || c == '"') {
        inQuote = c;
      } else if (c == '[' || c == '(' || c == '{') {
        ++depth;
      } else if (c == ']' || c == ')' || c == '}') {
        if (depth == 0)
          break;
        --depth;
      } else if (c == ',' && depth == 0) {
        break;
      }
    }
    if (end == rest.size())
      return fail("the header's dict does not end ('}' missing)");
    llvm::StringRef value = rest.take_front(end).trim();
    if (value.empty())
      return fail("the header's '" + key + "' has no value");
    if (!dict.values.try_emplace(key, value).second)
      return fail("the header repeats the key '" + key + "'");
    rest = rest.drop_front(end);
    rest.consume_front(",");
  }
  if (!rest.trim().empty())
    return fail("the header has text after its dict: '" +
                rest.trim().take_front(32) + "'");
  for (const auto &entry : dict.values)
    if (!llvm::is_contained(
            std::initializer_list<llvm::StringRef>{"descr", "fortran_order",
                                                   "shape"},
            entry.getKey()))
      return fail("the header has a key np.save does not write: '" +
                  entry.getKey() + "'");
  return dict;
}
} // namespace

llvm::Expected<Tensor> mlir::tp::readNpy(llvm::StringRef path) {
  auto buffer = openRegularFile(path, /*isText=*/false);
  if (!buffer)
    return llvm::createStringError(std::errc::invalid_argument,
                                   "%s: cannot open: %s", path.str().c_str(),
                                   llvm::toString(buffer.takeError()).c_str());
  return parseNpy((*buffer)->getBuffer(), path);
}

llvm::Expected<Tensor> mlir::tp::parseNpy(llvm::StringRef bytes,
                                          llvm::StringRef path) {
  auto fail = [&](const llvm::Twine &message) {
    return llvm::createStringError(std::errc::invalid_argument, "%s: %s",
                                   path.str().c_str(), message.str().c_str());
  };
  if (!bytes.starts_with("\x93NUMPY"))
    return fail("not a .npy file (bad magic)");
  if (bytes.size() < 10)
    return fail("truncated header");
  unsigned major = static_cast<unsigned char>(bytes[6]);
  uint64_t headerSize, start;
  if (major == 1) {
    headerSize = llvm::support::endian::read16le(bytes.data() + 8);
    start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return fail("truncated header");
    headerSize = llvm::support::endian::read32le(bytes.data() + 8);
    start = 12;
  } else {
    return fail("unsupported .npy version " + llvm::Twine(major));
  }
  if (start + headerSize > bytes.size())
    return fail("the header reaches past the end of the file");
  llvm::StringRef header = bytes.substr(start, headerSize);

  // The header is a Python dict literal of 'descr', 'fortran_order' and
  // 'shape'.
  HeaderDict dict = parseHeaderDict(header);
  if (!dict.error.empty())
    return fail(dict.error);
  llvm::StringRef descr = dict.values.lookup("descr");
  if (descr.empty())
    return fail("the header has no 'descr' (the data type)");
  // Float32 as it is; float16 and float64 (NumPy's default) converted.
  std::optional<SourceFloat> kind;
  llvm::StringRef type;
  if (descr.size() >= 2 && (descr.front() == '\'' || descr.front() == '"') &&
      descr.back() == descr.front()) // a string, as np.save writes it
    type = descr.drop_front().drop_back();
  type.consume_front("<") || type.consume_front("=");
  if (type == "f4")
    kind = SourceFloat::F32;
  else if (type == "f2")
    kind = SourceFloat::F16;
  else if (type == "f8")
    kind = SourceFloat::F64;
  if (!kind)
    return fail("expected little-endian float data ('<f4', or '<f2' or "
                "'<f8', which are converted to float32), found " +
                descr);
  llvm::StringRef fortran = dict.values.lookup("fortran_order");
  if (fortran == "True")
    return fail("the array is in Fortran (column-major) order; save it in C "
                "order: np.save(path, np.ascontiguousarray(x))");
  if (fortran.empty())
    return fail("the header has no 'fortran_order'");
  if (fortran != "False")
    return fail("the header's 'fortran_order' must be True or False");
  llvm::StringRef shapeText = dict.values.lookup("shape");
  if (shapeText.empty())
    return fail("the header has no 'shape'");
  // A tuple: "()", "(4,)", "(2, 4)", a trailing comma allowed; "(4)" is
  // the integer 4 in Python.
  if (!shapeText.consume_front("(") || !shapeText.consume_back(")") ||
      (!shapeText.contains(',') && !shapeText.trim().empty()))
    return fail("malformed shape in the header");
  llvm::SmallVector<int64_t> shape;
  llvm::SmallVector<llvm::StringRef> parts;
  shapeText.split(parts, ',', -1, /*KeepEmpty=*/true);
  for (auto [i, part] : llvm::enumerate(parts)) {
    part = part.trim();
    if (part.empty() && i + 1 == parts.size() && i > 0)
      continue; // the trailing comma
    if (part.empty() && parts.size() == 1)
      continue; // ()
    int64_t extent;
    if (part.getAsInteger(10, extent) || extent < 0)
      return fail("malformed shape in the header");
    shape.push_back(extent);
  }
  std::optional<int64_t> count = getCheckedNumElements(shape);
  if (!count)
    return fail("shape " + formatShape(shape) + " has more than " +
                llvm::Twine(kMaxTensorElements) +
                " elements (tp-mlir's limit)");
  uint64_t need = getSourceFloatBytes(*kind) * static_cast<uint64_t>(*count);
  uint64_t have = bytes.size() - start - headerSize;
  if (have < need)
    return fail("shape " + formatShape(shape) + " needs " + llvm::Twine(need) +
                " bytes of data, the file holds " + llvm::Twine(have));
  const char *data = bytes.data() + start + headerSize;
  if (*kind == SourceFloat::F64)
    if (std::optional<double> v = findBeyondF32(data, *count))
      return fail("the float64 data holds " + formatShortest(*v) +
                  ", beyond the range of float32");
  Tensor t(shape);
  if (!need) // an empty tensor has no buffer to copy into
    return t;
  if (*kind == SourceFloat::F32)
    std::memcpy(t.data.data(), data, need);
  else
    convertToF32(*kind, data, t.data.data(), *count);
  return t;
}

namespace {
/// How writeFilesWhole writes one file.
struct WriteTarget {
  enum Kind {
    /// Through a temporary renamed over `path`.
    rename,
    /// In place, truncated: "-" (standard output), a device, a pipe.
    truncate,
    /// In place, appended to: a link through /dev or /proc (/dev/stdout),
    /// which leads to whatever the shell redirected it to. Truncating would
    /// empty a file redirected with >>, and what the tool printed before.
    append,
  } kind;
  llvm::SmallString<256> path;
};
} // namespace

/// The WriteTarget of `path`. A new or regular file is renamed over; an
/// ordinary symbolic link (a dangling one too) stays a link, and the file
/// it leads to is renamed over.
static WriteTarget getWriteTarget(llvm::StringRef path) {
  namespace fs = llvm::sys::fs;
  namespace sp = llvm::sys::path;
  WriteTarget inPlace{WriteTarget::truncate, llvm::SmallString<256>(path)};
  if (path == "-")
    return inPlace;
  llvm::SmallString<256> current(path);
  for (int hop = 0; hop < 40; ++hop) {
    fs::file_status status;
    if (fs::status(current, status, /*Follow=*/false) ||
        status.type() == fs::file_type::regular_file)
      return {WriteTarget::rename, current};
    if (status.type() != fs::file_type::symlink_file)
      return inPlace;
    llvm::SmallString<256> absolute(current);
    if (fs::make_absolute(absolute))
      return inPlace;
    sp::remove_dots(absolute, /*remove_dot_dot=*/true);
    if (absolute.starts_with("/dev/") || absolute.starts_with("/proc/"))
      return {WriteTarget::append, llvm::SmallString<256>(path)};
    char link[4096];
    ssize_t n = ::readlink(current.c_str(), link, sizeof link);
    if (n <= 0 || n == static_cast<ssize_t>(sizeof link))
      return inPlace;
    llvm::StringRef target(link, static_cast<size_t>(n));
    if (sp::is_absolute(target)) {
      current = target;
    } else {
      llvm::SmallString<256> next(sp::parent_path(current));
      sp::append(next, target);
      current = next;
    }
  }
  return inPlace; // a loop of links: opening it reports the error
}

std::string mlir::tp::checkOutputWritable(llvm::StringRef path,
                                          llvm::StringRef what) {
  namespace fs = llvm::sys::fs;
  if (path == "-") // standard output, as writeFileWhole takes it
    return "";
  std::string named = (what + " '" + path + "'").str();
  if (fs::is_directory(path))
    return named + " is a directory";
  if (fs::exists(path))
    return fs::access(path, fs::AccessMode::Write) ? named + " is not writable"
                                                   : "";
  llvm::SmallString<128> dir(path);
  llvm::sys::path::remove_filename(dir);
  if (dir.empty())
    dir = ".";
  if (!fs::is_directory(dir))
    return (named + ": the directory '" + dir + "' does not exist").str();
  if (fs::access(dir, fs::AccessMode::Write))
    return (named + ": the directory '" + dir + "' is not writable").str();
  return "";
}

llvm::Error
mlir::tp::writeFileWhole(llvm::StringRef path,
                         llvm::function_ref<void(llvm::raw_ostream &)> write) {
  return writeFilesWhole({FileWriter{path, write}});
}

llvm::Error mlir::tp::writeFilesWhole(llvm::ArrayRef<FileWriter> files) {
  auto failed = [&](llvm::StringRef path, std::error_code ec) {
    return llvm::createStringError(ec, "%s: cannot write: %s",
                                   path.str().c_str(), ec.message().c_str());
  };
  auto finish = [&](const FileWriter &file, llvm::raw_fd_ostream &os,
                    bool close) -> std::error_code {
    file.write(os);
    if (close)
      os.close();
    else
      os.flush();
    std::error_code ec = os.error();
    os.clear_error();
    return ec;
  };
  namespace fs = llvm::sys::fs;
  std::vector<WriteTarget> targets;
  for (const FileWriter &file : files)
    targets.push_back(getWriteTarget(file.path));
  auto inPlace = [&](size_t i) {
    return targets[i].kind != WriteTarget::rename;
  };
  std::vector<fs::TempFile> temps;
  auto discard = [&] {
    for (fs::TempFile &temp : temps)
      llvm::consumeError(temp.discard());
  };
  std::vector<size_t> renamed; // the file of each temporary
  unsigned mode = fs::all_read | fs::all_write;
  for (auto [i, file] : llvm::enumerate(files)) {
    if (inPlace(i))
      continue;
    llvm::Expected<fs::TempFile> temp =
        fs::TempFile::create(targets[i].path + ".partial-%%%%%%", mode);
    if (!temp) {
      std::error_code ec = llvm::errorToErrorCode(temp.takeError());
      // A file this user may write in a directory it may not: in place.
      if (ec == std::errc::permission_denied ||
          ec == std::errc::read_only_file_system) {
        targets[i].kind = WriteTarget::truncate;
        continue;
      }
      discard();
      return failed(file.path, ec);
    }
    temps.push_back(std::move(*temp));
    renamed.push_back(i);
    std::error_code error;
    {
      llvm::raw_fd_ostream os(temps.back().FD, /*shouldClose=*/false);
      error = finish(file, os, /*close=*/false);
    }
    if (error) {
      discard();
      return failed(file.path, error);
    }
  }
  // What the tool printed comes first on a redirected standard output.
  llvm::outs().flush();
  for (auto [i, file] : llvm::enumerate(files)) {
    if (!inPlace(i))
      continue;
    std::error_code ec;
    llvm::raw_fd_ostream os(
        file.path, ec,
        targets[i].kind == WriteTarget::append ? fs::OF_Append : fs::OF_None);
    if (!ec)
      ec = finish(file, os, /*close=*/true);
    if (ec) {
      discard();
      return failed(file.path, ec);
    }
  }
  for (auto [temp, i] : llvm::zip_equal(temps, renamed))
    if (llvm::Error e = temp.keep(targets[i].path)) {
      std::error_code ec = llvm::errorToErrorCode(std::move(e));
      discard();
      return failed(files[i].path, ec);
    }
  return llvm::Error::success();
}

llvm::Error mlir::tp::writeNpy(llvm::StringRef path, const Tensor &t) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  for (int64_t d : t.shape)
    header += std::to_string(d) + ", ";
  if (t.shape.size() > 1)
    header.resize(header.size() - 1); // "(4, 8)" rather than "(4, 8, )"
  if (t.shape.size() > 1)
    header.back() = ')';
  else
    header += ")";
  header += ", }";
  // Pad with spaces and a newline so the data starts 64-byte aligned.
  while ((10 + header.size() + 1) % 64)
    header.push_back(' ');
  header.push_back('\n');
  return writeFileWhole(path, [&](llvm::raw_ostream &os) {
    os << "\x93NUMPY" << '\x01' << '\x00';
    char length[2];
    llvm::support::endian::write16le(length, header.size());
    os.write(length, 2);
    os << header;
    os.write(reinterpret_cast<const char *>(t.data.data()), 4 * t.data.size());
  });
}
