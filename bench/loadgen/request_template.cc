#include "bench/loadgen/request_template.h"

#include "common/text.h"

namespace fib {

RequestTemplate::RequestTemplate(const LoadgenOptions& options)
    : body_(options.body), run_id_(options.run_id) {
  head_ = options.method + " " + options.target.path +
          " HTTP/1.1\r\nHost: " + options.target.HostPort() + "\r\n";
  for (const auto& header : options.headers) head_ += header + "\r\n";
  body_varies_ = body_.find('{') != std::string::npos;
  // A body-less GET sends no Content-Length; anything with a body, or a POST/PUT/PATCH, does.
  send_length_ = !body_.empty() || (options.method != "GET" && options.method != "HEAD" &&
                                    options.method != "DELETE" && options.method != "OPTIONS");
}

std::string RequestTemplate::Substitute(const std::string& text, int64_t n,
                                        const std::string& run_id) {
  std::string out;
  out.reserve(text.size() + 32);
  for (size_t i = 0; i < text.size();) {
    if (text.compare(i, 3, "{n}") == 0) {
      out += std::to_string(n);
      i += 3;
    } else if (text.compare(i, 6, "{uuid}") == 0) {
      out += Uuid4();
      i += 6;
    } else if (text.compare(i, 5, "{run}") == 0) {
      out += run_id;
      i += 5;
    } else {
      out += text[i++];
    }
  }
  return out;
}

void RequestTemplate::Build(int64_t n, std::string* out) const {
  out->assign(head_);
  out->append("X-Request-Id: ");
  out->append(run_id_);
  out->push_back('-');
  out->append(std::to_string(n));
  out->append("\r\n");
  if (!send_length_) {
    out->append("\r\n");
    return;
  }
  std::string varied;
  const std::string& body = body_varies_ ? (varied = Substitute(body_, n, run_id_)) : body_;
  out->append("Content-Length: ");
  out->append(std::to_string(body.size()));
  out->append("\r\n\r\n");
  out->append(body);
}

}  // namespace fib
