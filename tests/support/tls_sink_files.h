// TlsSinkFiles: what a test needs to run the mail sink as the lesson's provider — a certificate
// for 127.0.0.1/localhost with its key (made with the openssl command line, so clients can verify
// it with --cacert / ca_file), an --auth-file, and the sink flags for port 587's settings.
// Thread-safety: one owner thread; the files are removed when it goes away.
#pragma once

#include <string>
#include <vector>

namespace fib::test {

inline constexpr char kLessonSmtpUser[] = "fibmaster";
inline constexpr char kLessonSmtpPassword[] = "Lesson-pw-9d27c1";  // never to appear in any output

class TlsSinkFiles {
 public:
  // Makes a temporary directory with cert.pem, key.pem and users
  // (kLessonSmtpUser:kLessonSmtpPassword); FAILs the test when openssl cannot make the certificate.
  TlsSinkFiles();
  ~TlsSinkFiles();
  TlsSinkFiles(const TlsSinkFiles&) = delete;
  TlsSinkFiles& operator=(const TlsSinkFiles&) = delete;

  std::string cert() const { return dir_ + "/cert.pem"; }
  std::string key() const { return dir_ + "/key.pem"; }
  std::string users() const { return dir_ + "/users"; }
  // The sink flags of the lesson's provider: this certificate, STARTTLS and AUTH required.
  std::vector<std::string> StrictSinkFlags() const;
  // Returns smtp://kLessonSmtpUser:`password`@127.0.0.1:`port` (the lesson's settings as a URL).
  static std::string Url(int port, const std::string& password = kLessonSmtpPassword);

 private:
  std::string dir_;
};

}  // namespace fib::test
