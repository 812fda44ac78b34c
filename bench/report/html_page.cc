#include "bench/report/html_page.h"

#include <fmt/format.h>

#include <fstream>

#include "bench/report/html_text.h"
#include "bench/report/svg_chart.h"
#include "bench/report/waterfall_plot.h"

namespace fib {

namespace {
// The page's whole style: readable at 1280x800, dark text on white (contrast above 7:1), and a
// print layout without the tooltip.
const char kStyle[] = R"(
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111;background:#fff;margin:0}
main{max-width:1180px;margin:0 auto;padding:16px 24px}
h1{font-size:1.6em;margin:.4em 0}h2{font-size:1.3em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.6em 0;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:.2em 0}
th,td{border:1px solid #bbb;padding:.25em .6em;text-align:right;vertical-align:top}
th:first-child,td:first-child{text-align:left}thead th{background:#eef1f5}
.conditions td{text-align:left;word-break:break-word}
.warning{background:#fff4d6;border-left:4px solid #8a5a00;padding:.4em .8em;margin:.6em 0}
.warning p{margin:.2em 0;font-weight:600;color:#4a2f00}
figure.chart{margin:1em 0;max-width:860px;break-inside:avoid}
figcaption{font-weight:600}
svg{width:100%;height:auto;display:block}
svg text{font-size:12px;fill:#222}.label{font-size:13px}
.frame{fill:none;stroke:#888}.grid{stroke:#e2e2e2}
.line{fill:none;stroke:currentColor;stroke-width:1.8}.line.dashed{stroke-dasharray:6 4}
.pt{fill:currentColor;fill-opacity:.85;stroke:#fff;stroke-width:.5}.pt:hover{r:5}
.bar rect{fill:#1f5fa8}.bar.total rect{fill:#777}.whisker{stroke:#111;stroke-width:1.5}
.lesson{fill:#b33c00;fill-opacity:.55}
.legend{list-style:none;padding:0;margin:.3em 0;display:flex;flex-wrap:wrap;gap:.3em 1.2em}
.swatch{display:inline-block;width:22px;border-top:3px solid;margin-right:.4em;vertical-align:middle}
.swatch.dashed{border-top-style:dashed}
.note{color:#333;font-size:.92em}
#tip{position:fixed;pointer-events:none;background:#111;color:#fff;padding:.3em .5em;border-radius:3px;font-size:13px;max-width:420px;z-index:10}
@media print{#tip{display:none}main{max-width:none;padding:0}h2{break-after:avoid}}
)";

// Shows the hovered point's <title> as a tooltip. Reads text only (textContent): report data
// never becomes markup or code.
const char kScript[] = R"(
(function(){var tip=document.getElementById('tip');
function title(el){while(el&&el.nodeType===1){for(var c=el.firstElementChild;c;c=c.nextElementSibling){if(c.tagName.toLowerCase()==='title')return c.textContent;}if(el.tagName.toLowerCase()==='svg')return null;el=el.parentNode;}return null;}
document.addEventListener('mouseover',function(e){var t=title(e.target);if(t===null){tip.hidden=true;return;}tip.textContent=t;tip.hidden=false;
var x=Math.min(e.clientX+14,window.innerWidth-tip.offsetWidth-8),y=e.clientY+16;if(y+tip.offsetHeight>window.innerHeight)y=e.clientY-tip.offsetHeight-8;tip.style.left=x+'px';tip.style.top=y+'px';});
})();
)";

// The page may load nothing: no script, style, font, image or connection from anywhere.
const char kPolicy[] =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'";

ChartSeries Series(const std::string& name, std::vector<std::pair<double, double>> points,
                   bool right = false, bool steps = false) {
  ChartSeries s{name, std::move(points), right, steps};
  return s;
}

std::vector<std::pair<double, double>> SpectrumPoints(const LatencyData& data) {
  std::vector<std::pair<double, double>> points;
  if (!data.has_spectrum()) return points;
  for (const SpectrumPoint& p : data.spectrum->Ticks())
    points.emplace_back(p.percentile, p.value_ms);
  return Downsample(points, kMaxPointsPerSeries);
}

// Adds `points` downsampled; returns true when they had to be.
bool AddDownsampled(ChartSpec* spec, ChartSeries series) {
  bool reduced = series.points.size() > kMaxPointsPerSeries;
  series.points = Downsample(series.points, kMaxPointsPerSeries);
  spec->series.push_back(std::move(series));
  return reduced;
}

std::vector<std::pair<double, double>> QueueDepth(const Report& r) {
  std::vector<std::pair<double, double>> points;
  for (const RedisSample& s : r.redis_samples) {
    points.emplace_back(s.t_s, static_cast<double>(s.queue_depth));
  }
  return points;
}

constexpr char kDownsampleNote[] =
    "Long series are downsampled to at most {} points each: every point is the highest value of "
    "its run of consecutive samples, so peaks stay visible. The run's JSON files hold every "
    "sample.";
}  // namespace

std::string HtmlPage(const std::string& title, const std::string& body,
                     const nlohmann::json& data) {
  std::string data_block;
  if (!data.is_null()) {
    data_block =
        "<script type=\"application/json\" id=\"report-data\">" + ScriptJson(data) + "</script>\n";
  }
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>{}</title>\n<style>{}</style></head>\n<body><main>\n{}</main>\n"
      "<div id=\"tip\" role=\"tooltip\" hidden></div>\n{}<script>{}</script>\n</body></html>\n",
      kPolicy, HtmlFromData(title), kStyle, body, data_block, kScript);
}

Status WriteHtmlFile(const std::string& path, const std::string& html) {
  std::ofstream out(path, std::ios::binary);
  out << html;
  out.close();
  if (!out) {
    return Status::Error("cannot write " + path + ": check the directory exists and is writable");
  }
  return Status::Ok();
}

std::string HtmlTable(const TableGrid& grid, const std::string& caption) {
  if (grid.empty()) return "";
  std::string out = "<table>";
  if (!caption.empty()) out += "<caption>" + HtmlFromData(caption) + "</caption>";
  out += "<thead><tr>";
  for (const std::string& cell : grid[0])
    out += "<th scope=\"col\">" + HtmlFromData(cell) + "</th>";
  out += "</tr></thead><tbody>";
  for (size_t r = 1; r < grid.size(); ++r) {
    out += "<tr>";
    for (size_t c = 0; c < grid[r].size(); ++c) {
      out += c == 0 ? "<th scope=\"row\">" + HtmlFromData(grid[r][c]) + "</th>"
                    : "<td>" + HtmlFromData(grid[r][c]) + "</td>";
    }
    out += "</tr>";
  }
  return out + "</tbody></table>\n";
}

std::string WarningsBlock(const std::vector<std::string>& warnings) {
  if (warnings.empty()) return "";
  std::string out = "<section class=\"warning\" aria-label=\"warnings\">";
  for (const std::string& w : warnings) out += "<p>" + HtmlFromData(w) + "</p>";
  return out + "</section>\n";
}

std::string ConditionsTable(const nlohmann::json& conditions, const std::string& caption) {
  if (!conditions.is_object() || conditions.empty()) return "";
  TableGrid grid = {{"condition", "value"}};
  for (const auto& [key, value] : conditions.items()) {
    grid.push_back({key, value.is_string() ? value.get<std::string>()
                                           : value.dump(-1, ' ', false,
                                                        nlohmann::json::error_handler_t::replace)});
  }
  std::string table = HtmlTable(grid, caption);
  return "<div class=\"conditions\">" + table + "</div>\n";
}

std::vector<const Report*> ChartedReports(const std::vector<Report>& reports, std::string* note) {
  std::vector<const Report*> out;
  for (size_t i = 0; i < reports.size() && i < kMaxChartedReports; ++i) out.push_back(&reports[i]);
  if (reports.size() > out.size()) {
    *note = fmt::format("<p class=\"note\">Charts show the first {} of {} reports.</p>\n",
                        out.size(), reports.size());
  }
  return out;
}

std::string SpectrumCharts(const std::vector<const Report*>& reports, const std::string& title) {
  ChartSpec response{title + ": response time percentiles",
                     "percentile",
                     "latency (ms)",
                     "",
                     AxisScale::kPercentile,
                     AxisScale::kLog,
                     {},
                     ""};
  ChartSpec e2e = response;
  e2e.title = title + ": time until the email arrives, percentiles";
  e2e.y_label = "time to email (ms)";
  for (const Report* r : reports) {
    auto points = SpectrumPoints(r->latency);
    if (!points.empty()) response.series.push_back(Series(r->label, std::move(points)));
    auto e2e_points = SpectrumPoints(r->e2e);
    if (!e2e_points.empty()) e2e.series.push_back(Series(r->label, std::move(e2e_points)));
  }
  response.note =
      "x axis: log(1/(1−p)), so 90%, 99%, 99.9% … are equally spaced and the tail gets room "
      "(HdrHistogram's percentile spectrum; 100% drawn at the right edge).";
  std::string out = RenderSvgChart(response);
  if (!e2e.series.empty()) out += RenderSvgChart(e2e);
  return out;
}

std::string TimelineChart(const std::vector<const Report*>& reports, const std::string& title) {
  ChartSpec spec{title + ": latency over time, queue depth overlaid",
                 "time (s)",
                 "latency (ms)",
                 "queue depth (jobs)",
                 AxisScale::kLinear,
                 AxisScale::kLinear,
                 {},
                 ""};
  bool reduced = false;
  for (const Report* r : reports) {
    std::vector<std::pair<double, double>> p50, p99;
    for (const TimeseriesRow& row : r->timeseries) {
      if (row.p50_ms) p50.emplace_back(row.t_s, *row.p50_ms);
      if (row.p99_ms) p99.emplace_back(row.t_s, *row.p99_ms);
    }
    if (!p50.empty()) reduced |= AddDownsampled(&spec, Series(r->label + " p50", p50));
    if (!p99.empty()) reduced |= AddDownsampled(&spec, Series(r->label + " p99", p99));
    auto depth = QueueDepth(*r);
    if (!depth.empty()) {
      reduced |= AddDownsampled(&spec, Series(r->label + " queue depth", depth, true, true));
    }
  }
  if (reduced) spec.note = fmt::format(fmt::runtime(kDownsampleNote), kMaxPointsPerSeries);
  return RenderSvgChart(spec);
}

std::string QueueDepthChart(const std::vector<const Report*>& reports, const std::string& title) {
  ChartSpec spec{
      title, "time (s)", "queue depth (jobs)", "", AxisScale::kLinear, AxisScale::kLinear, {}, ""};
  bool reduced = false;
  for (const Report* r : reports) {
    auto depth = QueueDepth(*r);
    if (!depth.empty()) reduced |= AddDownsampled(&spec, Series(r->label, depth, false, true));
  }
  if (spec.series.empty()) return "";
  if (reduced) spec.note = fmt::format(fmt::runtime(kDownsampleNote), kMaxPointsPerSeries);
  return RenderSvgChart(spec);
}

std::string WaterfallCharts(const std::vector<const Report*>& reports) {
  std::string out;
  for (size_t i = 0; i < reports.size(); ++i) {
    std::optional<WaterfallSpec> spec = WaterfallFor(*reports[i], i, "");
    if (spec) out += RenderSvgWaterfall(*spec);
  }
  return out;
}

}  // namespace fib
