// report.html and compare --html: hostile strings from run files come out inert (HTML text,
// attributes, the inline JSON block), the headline cells hold summary.json's own numbers, a long
// run stays within the size bound, and the page references nothing over the network.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>

#include "bench/report/comparison.h"
#include "bench/report/comparison_html.h"
#include "bench/report/group_comparison.h"
#include "bench/report/html_text.h"
#include "bench/report/report_fixture.h"
#include "bench/report/report_reader.h"
#include "bench/report/run_report_html.h"

namespace {
using nlohmann::json;

// Strings a run file could carry to break out of HTML text, an attribute, a <script> block or a
// JavaScript string literal.
const std::vector<std::string> kHostile = {
    "</script><script>window.pwned=1</script>",
    "<img src=x onerror=\"window.pwned=1\">",
    "\" onmouseover=\"window.pwned=1",
    "' onfocus='window.pwned=1",
    "a\u2028b\u2029c",  // U+2028, U+2029: line breaks to old JavaScript parsers
    "<!--<script>",
    "&amp;&lt;",
    std::string("nul\0byte\x01\x7F", 10),
    "broken \xC3( \xED\xA0\x80 utf-8 \xFF",
    "]]><svg onload=alert(1)>",
    "javascript:alert(1)",
};

// Returns `n` strings glued from hostile pieces at random (fixed seed).
std::vector<std::string> FuzzStrings(size_t n) {
  std::mt19937 rng(16);
  std::uniform_int_distribution<size_t> piece(0, kHostile.size() - 1), count(1, 4);
  std::vector<std::string> out = kHostile;
  while (out.size() < n) {
    std::string s;
    for (size_t k = count(rng); k > 0; --k) s += kHostile[piece(rng)];
    out.push_back(s);
  }
  return out;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

bool ValidUtf8(const std::string& s) {
  json j = s;  // dump() throws on invalid UTF-8 with the strict handler
  try {
    (void)j.dump();
  } catch (const json::exception&) {
    return false;
  }
  return true;
}

bool ValidUtf8WithoutControls(const std::string& s) {
  if (!ValidUtf8(s)) return false;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t' && c != '\n') || u == 0x7F) return false;
  }
  return true;
}

json LoadgenReport(const std::string& label, bool background, double duration_s) {
  fib::FixtureOptions o;
  o.label = label;
  o.duration_s = duration_s;
  size_t n = static_cast<size_t>(duration_s * 4);
  o.latencies_us = fib::FixtureLatencies(n, background ? 23000 : 220000,
                                         background ? 27000 : 232000, background ? 2 : 1);
  o.e2e_latencies_us = fib::FixtureLatencies(n, 204000, 212000, 3);
  o.with_redis_samples = background;
  json r = fib::MakeFixtureReport(o);
  fib::AddLessonStages(&r, background, 1.5);
  return r;
}

// A results directory as `make bench` leaves it: summary.json, report.md, lesson/*.json. `text`
// goes into report.md as it is, into the JSON files when it is valid UTF-8 (a JSON parser
// refuses other bytes, so they can only arrive through report.md).
std::string MakeRun(std::string label, std::string text, double duration_s) {
  std::string raw = text;
  if (!ValidUtf8(text)) label = text = "invalid";
  std::string dir = fib::MakeTempDir("fib-html");
  REQUIRE(!dir.empty());
  std::filesystem::create_directories(dir + "/lesson");
  REQUIRE(fib::WriteJsonFile(dir + "/lesson/lesson-inline.json",
                             LoadgenReport(label + "-inline", false, duration_s)));
  REQUIRE(fib::WriteJsonFile(dir + "/lesson/lesson-background.json",
                             LoadgenReport(label + "-background", true, duration_s)));
  json figures = {{"inline",
                   {{"p50_ms", 225.919},
                    {"p99_ms", 232.063},
                    {"email_p50_ms", 205.311},
                    {"email_p99_ms", 211.455},
                    {"requests", 80.0},
                    {"errors", 0.0}}},
                  {"background",
                   {{"p50_ms", 24.431},
                    {"p99_ms", 27.023},
                    {"enqueue_p50_ms", 0.254},
                    {"email_p50_ms", 205.183},
                    {"email_p99_ms", 206.463},
                    {"requests", 80.0},
                    {"errors", 0.0}}},
                  {"profile", text},
                  {"rate_rps", 4.0}};
  json summary = {
      {"schema", 1},
      {"conditions",
       {{"build_type", "Release"},
        {"cores", 2},
        {"hostname", text},
        {"scenarios", "lesson," + text}}},
      {"lesson", {{"inline", figures["inline"]}, {"background", figures["background"]}}},
      {"scenarios", {{"lesson", figures}, {text, {{"note", text}}}}},
      {"stacks",
       {{"cpp",
         {{"lesson", {{"inline", figures["inline"]}, {"background", figures["background"]}}}}},
        {text, {{"lesson", {{"inline", {{"p50_ms", 31.5}, {"p99_ms", nullptr}}}}}}}}}};
  REQUIRE(fib::WriteJsonFile(dir + "/summary.json", summary));
  std::ofstream(dir + "/report.md") << "# report\n\n> **WARNING: " << raw << "**\n";
  return dir;
}

std::string RunHtml(const std::string& dir) {
  fib::Result<std::string> html = fib::RunReportHtml(dir);
  REQUIRE(html.ok());
  return *html;
}

// Returns the attribute names of every tag in `html`, read as a browser tokenizes it (quoted
// values skipped whole); the text of <script> and <style> elements is skipped.
std::vector<std::string> AttributeNames(const std::string& html) {
  std::vector<std::string> names;
  for (size_t at = html.find('<'); at != std::string::npos; at = html.find('<', at)) {
    size_t end_of_name = html.find_first_of(" \t\n>/", at + 1);
    std::string tag = html.substr(at + 1, end_of_name - at - 1);
    size_t i = end_of_name;
    while (i < html.size() && html[i] != '>') {
      if (std::isspace(static_cast<unsigned char>(html[i])) || html[i] == '/') {
        ++i;
        continue;
      }
      size_t name_end = html.find_first_of(" \t\n=>", i);
      names.push_back(html.substr(i, name_end - i));
      i = name_end;
      if (html[i] != '=') continue;
      char quote = html[++i];
      REQUIRE((quote == '"' || quote == '\''));  // we quote every value
      i = html.find(quote, i + 1) + 1;
    }
    at = i;
    if (tag == "script" || tag == "style") at = html.find("</" + tag, at);
  }
  return names;
}

// The page's own markup only, whatever the run files held. `scripts`: the hover script, and
// the JSON data block when the page has one.
void CheckOnlyOurMarkup(const std::string& html, size_t scripts) {
  CHECK(Count(html, "<script") == scripts);
  CHECK(Count(html, "</script") == scripts);
  CHECK(Count(html, "<img") == 0);
  CHECK(Count(html, "<svg onload") == 0);
  CHECK(Count(html, "<!--") == 0);
  for (const std::string& name : AttributeNames(html)) {
    INFO(name);
    CHECK(name.rfind("on", 0) != 0);
    CHECK(name != "src");
    CHECK(name != "href");
  }
}

// Returns summary.json's inline copy, read back from the page's data block.
json DataBlock(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"report-data\">";
  size_t at = html.find(open);
  REQUIRE(at != std::string::npos);
  at += open.size();
  return json::parse(html.substr(at, html.find("</script>", at) - at));
}
}  // namespace

TEST_CASE("hostile strings come out inert as HTML text and as inline JSON", "[report][html]") {
  for (const std::string& s : FuzzStrings(300)) {
    std::string html = fib::HtmlFromData(s);
    INFO(html);
    CHECK(html.find_first_of("<>\"'") == std::string::npos);
    CHECK(ValidUtf8WithoutControls(html));
    std::string script = fib::ScriptJson(json{{"label", s}});
    CHECK(script.find_first_of("<>&") == std::string::npos);
    CHECK(script.find("\xE2\x80\xA8") == std::string::npos);
    CHECK(script.find("\xE2\x80\xA9") == std::string::npos);
    if (ValidUtf8WithoutControls(s)) CHECK(json::parse(script)["label"] == s);
  }
  CHECK(fib::HtmlFromData("a\u2028b") == "a\u2028b");  // fine in HTML text
  CHECK(fib::HtmlFromData("x\xFFy") == "x\xEF\xBF\xBDy");
}

TEST_CASE("report.html keeps hostile run files inert in every context", "[report][html]") {
  for (const std::string& s : kHostile) {
    std::string dir = MakeRun(s, s, 10);
    std::string html = RunHtml(dir);
    INFO(s);
    CheckOnlyOurMarkup(html, 2);
    CHECK(html.find("WARNING: " + fib::HtmlFromData(s)) != std::string::npos);  // shown, escaped
    if (ValidUtf8(s)) {
      CHECK(html.find(fib::HtmlFromData(s + "-inline")) != std::string::npos);
      CHECK(DataBlock(html)["conditions"]["hostname"] == s);
    }
    std::filesystem::remove_all(dir);
  }
}

TEST_CASE("report.html's headline cells hold summary.json's numbers", "[report][html]") {
  std::string dir = MakeRun("lesson", "lesson", 10);
  std::string html = RunHtml(dir);
  json summary = json::parse(std::ifstream(dir + "/summary.json"));
  std::regex cell(
      R"re(<data value="([^"]+)" data-key="(inline|background)\.([a-z0-9_]+)">([^<]+)</data>)re");
  size_t cells = 0;
  for (std::sregex_iterator it(html.begin(), html.end(), cell), end; it != end; ++it) {
    const std::smatch& m = *it;
    INFO(m.str(0));
    double expected = summary["lesson"][m.str(2)][m.str(3)].get<double>();
    CHECK(std::stod(m.str(1)) == expected);
    CHECK(std::stod(m.str(4)) == expected);
    ++cells;
  }
  CHECK(cells == 13);  // every number of the headline: p50, p99, email p50/p99, requests, errors,
                       // enqueue
  CHECK(DataBlock(html) == summary);
  CHECK(html.find("The lesson on each stack") != std::string::npos);
  CHECK(html.find("<td>31.5</td><td>not measured</td>") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("report.html of a long run stays small and names no network resource", "[report][html]") {
  std::string dir = MakeRun("long", "long", 3600);  // an hour: 3600 rows, 36000 Redis samples
  auto start = std::chrono::steady_clock::now();
  std::string html = RunHtml(dir);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  WARN("report.html of a 1 h run: " << html.size() << " bytes in " << seconds << " s");
  CHECK(html.size() < 3u * 1024 * 1024);
  CHECK(html.find("downsampled to at most") != std::string::npos);
  for (const char* scheme : {"http://", "https://", "//"}) {
    for (size_t at = html.find(scheme); at != std::string::npos; at = html.find(scheme, at + 1)) {
      // Only as text (a table cell, the inline JSON), never inside a tag.
      CHECK(html.rfind('<', at) < html.rfind('>', at));
    }
  }
  for (const char* fetch : {"src=", "href=", "url(", "@import", "fetch(", "XMLHttpRequest"}) {
    INFO(fetch);
    CHECK(html.find(fetch) == std::string::npos);
  }
  CHECK(html.find("<svg") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("report.html needs summary.json", "[report][html]") {
  std::string dir = fib::MakeTempDir("fib-html-empty");
  fib::Result<std::string> html = fib::RunReportHtml(dir);
  REQUIRE_FALSE(html.ok());
  CHECK(html.message().find("summary.json") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("compare --html shows the table, the waterfalls and escapes labels", "[report][html]") {
  std::vector<fib::Report> reports;
  for (bool background : {false, true}) {
    auto r = fib::ParseJsonReport(LoadgenReport(kHostile[0], background, 10), "r.json");
    REQUIRE(r.ok());
    reports.push_back(*r);
  }
  fib::Comparison comparison(reports, 0);
  std::string html = fib::ComparisonHtml(comparison);
  CheckOnlyOurMarkup(html, 1);
  CHECK(Count(html, "<table") >= 2);  // the metrics and the stages
  CHECK(Count(html, "where the time goes (p50 bars end to end, p99 whiskers)</figcaption>") == 2);
  CHECK(html.find("latency p99 (ms)") != std::string::npos);
}

TEST_CASE("compare --html with several runs per side shows medians and intervals",
          "[report][html]") {
  std::vector<fib::Report> reports;
  for (int i = 0; i < 6; ++i) {
    auto r = fib::ParseJsonReport(LoadgenReport(kHostile[1], i >= 3, 10), "r.json");
    REQUIRE(r.ok());
    reports.push_back(*r);
  }
  fib::Comparison all(reports, 0);
  fib::GroupComparison groups(all, {{"A", {0, 1, 2}}, {"B", {3, 4, 5}}}, 0,
                              fib::BootstrapOptions{});
  std::string html = fib::GroupComparisonHtml(groups);
  CheckOnlyOurMarkup(html, 1);
  CHECK(html.find("metric: median [95% CI]") != std::string::npos);
  CHECK(html.find("percentile-bootstrap") != std::string::npos);
}
