#include "server/sequence_form.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "common/json_depth.h"

namespace fib {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string Lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

SequenceForm FormFromFields(const std::map<std::string, std::string>& fields) {
  SequenceForm form;
  if (auto it = fields.find("email"); it != fields.end()) {
    form.email = it->second;
    form.has_email = true;
  }
  if (auto it = fields.find("sequence_length"); it != fields.end()) {
    form.sequence_length = it->second;
    form.has_sequence_length = true;
  }
  return form;
}

// Returns the JSON value as the text a form would have carried: strings as-is, integers in
// decimal, anything else as its JSON text (which validation then rejects with its message).
std::string LengthText(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

Result<SequenceForm> ParseJsonForm(std::string_view body) {
  if (JsonDepth(body) > kMaxJsonDepth) {
    return Status::Error("the JSON body nests too deeply (more than " +
                         std::to_string(kMaxJsonDepth) +
                         R"( levels); send {"email": ..., "sequence_length": ...})");
  }
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::Error("the request body is not valid JSON");
  if (!doc.is_object()) {
    return Status::Error(
        R"(the JSON body must be an object like {"email": "a@example.com", "sequence_length": 10})");
  }
  SequenceForm form;
  if (doc.contains("email") && !doc["email"].is_null()) {
    if (!doc["email"].is_string()) return Status::Error("\"email\" must be a JSON string");
    form.email = doc["email"].get<std::string>();
    form.has_email = true;
  }
  if (doc.contains("sequence_length") && !doc["sequence_length"].is_null()) {
    form.sequence_length = LengthText(doc["sequence_length"]);
    form.has_sequence_length = true;
  }
  return form;
}

}  // namespace

BodyFormat BodyFormatOf(std::string_view content_type) {
  std::string type = Lowercase(content_type.substr(0, content_type.find(';')));
  type.erase(
      std::remove_if(type.begin(), type.end(), [](unsigned char c) { return std::isspace(c); }),
      type.end());
  if (type.empty() || type == "application/x-www-form-urlencoded") return BodyFormat::kForm;
  if (type == "application/json") return BodyFormat::kJson;
  return BodyFormat::kUnsupported;
}

Result<std::string> UrlDecodeComponent(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c != '%') {
      out += c;
    } else {
      int hi = i + 2 < text.size() ? HexValue(text[i + 1]) : -1;
      int lo = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return Status::Error("malformed %-escape in the form data near '" +
                             std::string(text.substr(i, 3)) + "'");
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    }
  }
  return out;
}

Result<std::map<std::string, std::string>> ParseUrlEncoded(std::string_view body) {
  std::map<std::string, std::string> fields;
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t end = std::min(body.find('&', pos), body.size());
    std::string_view pair = body.substr(pos, end - pos);
    pos = end + 1;
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    auto name = UrlDecodeComponent(pair.substr(0, eq));
    if (!name.ok()) return name.status();
    auto value = UrlDecodeComponent(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    if (!value.ok()) return value.status();
    fields[*name] = *value;
  }
  return fields;
}

Result<SequenceForm> ParseSequenceForm(BodyFormat format, std::string_view body) {
  if (format == BodyFormat::kJson) return ParseJsonForm(body);
  if (format == BodyFormat::kUnsupported) {
    return Status::Error(
        "unsupported Content-Type; send application/x-www-form-urlencoded or "
        "application/json");
  }
  auto fields = ParseUrlEncoded(body);
  if (!fields.ok()) return fields.status();
  return FormFromFields(*fields);
}

}  // namespace fib
