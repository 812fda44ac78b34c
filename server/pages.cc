#include "server/pages.h"

#include <fmt/format.h>

#include "common/text.h"

namespace fib {
namespace {

constexpr char kStyle[] =
    "body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;"
    "color:#222;background:#fafafa}"
    "h1{font-size:1.6rem}label{display:block;margin:.8rem 0 .2rem;font-weight:600}"
    "input{font-size:1rem;padding:.4rem;width:100%;box-sizing:border-box}"
    "button{margin-top:1rem;font-size:1rem;padding:.5rem 1.2rem;cursor:pointer}"
    ".error{background:#fde8e8;border:1px solid #e0a0a0;padding:.6rem;border-radius:4px}"
    ".mode{color:#666;font-size:.9rem}";

std::string Layout(const std::string& title, const std::string& body) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n{}</body>\n</html>\n",
      HtmlEscape(title), kStyle, body);
}

}  // namespace

std::string RenderFormPage(const FormPage& page) {
  std::string error = page.error.empty() ? ""
                                         : fmt::format("<p class=\"error\" role=\"alert\">{}</p>\n",
                                                       HtmlEscape(page.error));
  std::string body = fmt::format(
      "<h1>{}</h1>\n{}"
      "<form action=\"/sequences\" method=\"post\">\n"
      "<label for=\"email\">Email</label>\n"
      "<input type=\"email\" id=\"email\" name=\"email\" value=\"{}\" required>\n"
      "<label for=\"sequence_length\">Sequence length (1 to 27)</label>\n"
      "<input type=\"number\" id=\"sequence_length\" name=\"sequence_length\" value=\"{}\" "
      "min=\"1\" max=\"27\" required>\n"
      "<button type=\"submit\">Send me some Fibonacci</button>\n</form>\n"
      "<p class=\"mode\">Mode: <strong>{}</strong> &mdash; {}.</p>\n",
      HtmlEscape(kAppTitle), error, HtmlEscape(page.email), HtmlEscape(page.sequence_length),
      HtmlEscape(page.mode), HtmlEscape(page.mode_description));
  return Layout(kAppTitle, body);
}

std::string RenderThanksPage(const std::string& mode, const std::string& request_id) {
  std::string body = fmt::format(
      "<h1>{}</h1>\n<p>{}</p>\n<p><a href=\"/\">Request another sequence</a></p>\n"
      "<p class=\"mode\">Mode: <strong>{}</strong> &middot; request id <code>{}</code></p>\n",
      HtmlEscape(kAppTitle), kThanksText, HtmlEscape(mode), HtmlEscape(request_id));
  return Layout(kAppTitle, body);
}

std::string RenderErrorPage(int status, const std::string& title, const std::string& message,
                            const std::string& request_id) {
  std::string body = fmt::format(
      "<h1>{} {}</h1>\n<p class=\"error\" role=\"alert\">{}</p>\n"
      "<p><a href=\"/\">Back to the form</a></p>\n"
      "<p class=\"mode\">request id <code>{}</code></p>\n",
      status, HtmlEscape(title), HtmlEscape(message), HtmlEscape(request_id));
  return Layout(std::to_string(status) + " " + title, body);
}

}  // namespace fib
