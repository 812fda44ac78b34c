#include "mailsink/mime_parts.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace fib {
namespace {

constexpr int kMaxDepth = 4;
constexpr size_t kMaxParts = 100;

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The parts between "--boundary" lines, without the preamble and the epilogue.
std::vector<std::string_view> SplitParts(std::string_view body, const std::string& boundary) {
  const std::string delimiter = "--" + boundary;
  std::vector<std::string_view> parts;
  size_t at = body.rfind(delimiter, 0) == 0 ? 0 : body.find("\n" + delimiter);
  if (at != std::string_view::npos && at > 0) ++at;  // skip the '\n' before the first one
  while (at != std::string_view::npos && parts.size() < kMaxParts) {
    size_t after = at + delimiter.size();
    if (body.substr(after, 2) == "--") break;  // the closing delimiter
    size_t start = body.find('\n', after);
    if (start == std::string_view::npos) break;
    ++start;
    size_t next = body.find("\n" + delimiter, start);
    if (next == std::string_view::npos) break;
    size_t end = next > start && body[next - 1] == '\r' ? next - 1 : next;
    parts.push_back(body.substr(start, end - start));
    at = next + 1;
  }
  return parts;
}

bool IsAttachment(const MailMessage& part) {
  auto disposition = part.Header("Content-Disposition");
  return disposition && Lower(*disposition).rfind("attachment", 0) == 0;
}

std::optional<std::string> Find(const MailMessage& parsed, std::string_view raw,
                                std::string_view media_type, int depth) {
  std::string type = parsed.MediaType();
  if (type == media_type) {
    if (IsAttachment(parsed)) return std::nullopt;
    return parsed.DecodedBody(raw);
  }
  if (type.rfind("multipart/", 0) != 0 || depth >= kMaxDepth) return std::nullopt;
  std::string boundary = MultipartBoundary(parsed.Header("Content-Type").value_or(""));
  if (boundary.empty()) return std::nullopt;
  for (std::string_view part : SplitParts(parsed.Body(raw), boundary)) {
    MailMessage sub = MailMessage::Parse(part);
    if (auto found = Find(sub, part, media_type, depth + 1)) return found;
  }
  return std::nullopt;
}

}  // namespace

std::string MultipartBoundary(std::string_view content_type) {
  std::string lower = Lower(content_type);
  size_t at = lower.find("boundary=");
  if (at == std::string::npos) return "";
  std::string_view value = content_type.substr(at + 9);
  if (!value.empty() && value.front() == '"') {
    size_t close = value.find('"', 1);
    return close == std::string_view::npos ? "" : std::string(value.substr(1, close - 1));
  }
  size_t end = value.find_first_of("; \t\r\n");
  return std::string(value.substr(0, end));
}

std::optional<std::string> FindTextPart(const MailMessage& parsed, std::string_view raw,
                                        std::string_view media_type) {
  return Find(parsed, raw, media_type, 0);
}

}  // namespace fib
