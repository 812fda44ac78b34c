// GnuplotRunner: finds the gnuplot program and runs it as a subprocess with a script on stdin.
// Errors say what to install (Debian package gnuplot-nox) or carry gnuplot's own message.
// Thread-safety: pure functions; each call starts its own gnuplot process.
#pragma once

#include <string>

#include "common/status.h"

namespace fib {

// Returns the path of `program`: itself when it contains '/', else the first executable of
// that name in the ':'-separated `search_path` (the caller passes $PATH).
Result<std::string> FindGnuplot(const std::string& program, const std::string& search_path);

// Runs gnuplot at `path` with `script` as stdin and waits for it. gnuplot's stdout goes to
// ours when `inherit_stdout` (the dumb terminal), else nowhere. Returns an error with gnuplot's
// stderr when it fails; on success puts anything it printed to stderr into *warnings.
Status RunGnuplot(const std::string& path, const std::string& script, bool inherit_stdout,
                  std::string* warnings);

}  // namespace fib
