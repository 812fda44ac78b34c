// The lesson board's page files (board/static/), embedded at build time (board/CMakeLists.txt
// generates static_files.cc), so the board serves them with no file access and no CDN.
// Thread-safety: constant data.
#pragma once

#include <string_view>

namespace fib {

struct StaticFile {
  std::string_view path;          // "/board.js"
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::string_view body;
};

// Returns the embedded file served at `path`, or nullptr.
const StaticFile* FindStaticFile(std::string_view path);

}  // namespace fib
