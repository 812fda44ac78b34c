#include "tests/support/tls_sink_files.h"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "tests/support/subprocess.h"

namespace fib::test {

TlsSinkFiles::TlsSinkFiles() {
  char pattern[] = "/tmp/fib-tls-XXXXXX";
  REQUIRE(mkdtemp(pattern) != nullptr);
  dir_ = pattern;
  // P-256 rather than RSA: made in milliseconds, so the tests stay quick.
  Subprocess openssl({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                      "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                      "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key(),
                      "-out", cert()});
  if (openssl.Wait(10000) != 0) FAIL("openssl could not make a certificate:\n" << openssl.Log());
  std::ofstream(users()) << "# user:password\n"
                         << kLessonSmtpUser << ":" << kLessonSmtpPassword << "\n";
}

TlsSinkFiles::~TlsSinkFiles() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::vector<std::string> TlsSinkFiles::StrictSinkFlags() const {
  return {"--tls-cert",    cert(),           "--tls-key",   key(),
          "--require-tls", "--require-auth", "--auth-file", users()};
}

std::string TlsSinkFiles::Url(int port, const std::string& password) {
  return std::string("smtp://") + kLessonSmtpUser + ":" + password +
         "@127.0.0.1:" + std::to_string(port);
}

}  // namespace fib::test
