//===- Npy.cpp - reading and writing float32 .npy files -------------------===//
//
// The format: the magic "\x93NUMPY", a version, a header length (2 bytes in
// version 1, 4 in versions 2 and 3), and a Python dict literal with 'descr',
// 'fortran_order' and 'shape', padded so the data starts aligned.
//
//===----------------------------------------------------------------------===//

#include "tp-mlir/IO/SafeTensors.h"

#include "tp-mlir/Support/Limits.h"

#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace mlir::tp;

/// The text after `'key':` in a header dict, or empty.
static llvm::StringRef dictValue(llvm::StringRef header, llvm::StringRef key) {
  size_t at = header.find(("'" + key + "'").str());
  if (at == llvm::StringRef::npos)
    return {};
  llvm::StringRef rest = header.drop_front(at + key.size() + 2).ltrim();
  if (!rest.consume_front(":"))
    return {};
  return rest.ltrim();
}

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
  if (!bytes.starts_with("\x93NUMPY") || bytes.size() < 10)
    return fail("not a .npy file (bad magic)");
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
  // 'shape'; each is looked up by key.
  if (!header.ltrim().starts_with("{"))
    return fail("the header is not a Python dict ({'descr': ..., "
                "'fortran_order': ..., 'shape': ...})");
  llvm::StringRef descr = dictValue(header, "descr");
  if (descr.empty())
    return fail("the header has no 'descr' (the data type)");
  if (!descr.starts_with("'<f4'") && !descr.starts_with("'=f4'") &&
      !descr.starts_with("'f4'")) {
    // A quoted type name, or a structured type's list, whole (to its
    // matching bracket).
    size_t end = 0;
    for (int depth = 0; end < descr.size(); ++end) {
      char c = descr[end];
      depth += c == '[' || c == '(';
      depth -= c == ']' || c == ')';
      if (depth == 0 && (c == ']' || c == ',' || c == '}')) {
        end += c == ']';
        break;
      }
    }
    return fail("expected little-endian float32 data ('<f4'), found " +
                descr.take_front(end).trim());
  }
  llvm::StringRef fortran = dictValue(header, "fortran_order");
  if (fortran.starts_with("True"))
    return fail("the array is in Fortran (column-major) order; save it in C "
                "order: np.save(path, np.ascontiguousarray(x))");
  if (fortran.empty())
    return fail("the header has no 'fortran_order'");
  if (!fortran.starts_with("False"))
    return fail("the header's 'fortran_order' must be True or False");
  llvm::StringRef shapeText = dictValue(header, "shape");
  if (!shapeText.consume_front("("))
    return fail("malformed shape in the header");
  shapeText = shapeText.take_until([](char c) { return c == ')'; });
  llvm::SmallVector<int64_t> shape;
  llvm::SmallVector<llvm::StringRef> parts;
  shapeText.split(parts, ',', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef part : parts) {
    part = part.trim();
    if (part.empty())
      continue;
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
  uint64_t need = 4 * static_cast<uint64_t>(*count);
  uint64_t have = bytes.size() - start - headerSize;
  if (have < need)
    return fail("shape " + formatShape(shape) + " needs " + llvm::Twine(need) +
                " bytes of data, the file holds " + llvm::Twine(have));
  Tensor t(shape);
  if (need) // an empty tensor has no buffer to copy into
    std::memcpy(t.data.data(), bytes.data() + start + headerSize, need);
  return t;
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
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return llvm::createStringError(ec, "%s: cannot write: %s",
                                   path.str().c_str(), ec.message().c_str());
  os << "\x93NUMPY" << '\x01' << '\x00';
  char length[2];
  llvm::support::endian::write16le(length, header.size());
  os.write(length, 2);
  os << header;
  os.write(reinterpret_cast<const char *>(t.data.data()), 4 * t.data.size());
  os.close();
  if (os.has_error()) {
    std::error_code error = os.error();
    os.clear_error();
    return llvm::createStringError(error, "%s: cannot write: %s",
                                   path.str().c_str(), error.message().c_str());
  }
  return llvm::Error::success();
}
