#include "bench/report/svg_chart.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "bench/report/html_text.h"

namespace fib {

namespace {
// Colours with at least 4.5:1 contrast on white (text and thin lines stay readable in print).
const char* const kColours[] = {"#1f5fa8", "#b33c00", "#207a3a", "#7a3aa8", "#8a6d00", "#a8205f"};
constexpr double kWidth = 760, kHeight = 320, kTop = 14, kBottom = 46, kLeft = 66;

const char* Colour(size_t i) { return kColours[i % (sizeof(kColours) / sizeof(kColours[0]))]; }

// One axis: maps data values to positions through a scale.
struct Axis {
  AxisScale scale = AxisScale::kLinear;
  double lo = 0, hi = 1;    // in transformed units
  double from = 0, to = 1;  // pixel positions of lo and hi
  // Percentile axis: where 100% (an infinite 1/(1-p)) is drawn — a decade past the highest
  // finite percentile shown, as HdrHistogram's plotter does.
  double full_tail = std::log10(kMaxInverseTail);
  double Transform(double v) const {
    if (scale == AxisScale::kLog) return std::log10(std::max(v, 1e-9));
    if (scale == AxisScale::kPercentile) {
      if (v >= 100) return full_tail;
      return std::min(std::log10(1 / (1 - v / 100)), full_tail);
    }
    return v;
  }
  double At(double v) const { return from + (Transform(v) - lo) / (hi - lo) * (to - from); }
};

double NiceStep(double range) {
  double raw = range / 5, power = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0}) {
    if (raw <= m * power) return m * power;
  }
  return 10 * power;
}

// Returns the axis fitted to `values` (at least one) and its tick values (data units).
Axis FitAxis(AxisScale scale, const std::vector<double>& values, double from, double to,
             std::vector<double>* ticks) {
  Axis a{scale, 0, 1, from, to};
  if (scale == AxisScale::kPercentile) {
    double highest = 0;
    for (double v : values) {
      if (v < 100) highest = std::max(highest, a.Transform(v));
    }
    a.full_tail = std::min(std::ceil(highest) + 1, a.full_tail);
  }
  std::vector<double> t;
  t.reserve(values.size());
  for (double v : values) t.push_back(a.Transform(v));
  double lo = *std::min_element(t.begin(), t.end()), hi = *std::max_element(t.begin(), t.end());
  if (scale == AxisScale::kLinear) {
    lo = std::min(lo, 0.0);
    if (hi <= lo) hi = lo + 1;
    double step = NiceStep(hi - lo);
    a.lo = std::floor(lo / step) * step, a.hi = std::ceil(hi / step) * step;
    for (double v = a.lo; v <= a.hi + step / 2; v += step)
      ticks->push_back(std::fabs(v) < step / 1e6 ? 0 : v);
    return a;
  }
  a.lo = std::floor(lo), a.hi = std::max(std::ceil(hi), a.lo + 1);
  for (double e = a.lo; e <= a.hi; ++e) {
    ticks->push_back(scale == AxisScale::kLog ? std::pow(10, e) : 100 * (1 - std::pow(10, -e)));
  }
  return a;
}

std::string TickLabel(AxisScale scale, double v) {
  if (scale == AxisScale::kPercentile) return ExactNumber(std::round(v * 1e6) / 1e6) + "%";
  return ShortNumber(v);
}

std::string AxisLines(const Axis& x, const std::vector<double>& xt, const Axis& y,
                      const std::vector<double>& yt, const Axis* y2,
                      const std::vector<double>& y2t) {
  std::string out =
      fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" class=\"frame\"/>", x.from,
                  y.to, x.to - x.from, y.from - y.to);
  for (double v : xt) {
    double px = x.At(v);
    out += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" class=\"grid\"/>"
        "<text x=\"{0:.1f}\" y=\"{3}\" class=\"tick\" text-anchor=\"middle\">{4}</text>",
        px, y.to, y.from, y.from + 16, HtmlFromData(TickLabel(x.scale, v)));
  }
  for (double v : yt) {
    double py = y.At(v);
    out += fmt::format(
        "<line x1=\"{1}\" y1=\"{0:.1f}\" x2=\"{2}\" y2=\"{0:.1f}\" class=\"grid\"/>"
        "<text x=\"{3}\" y=\"{4:.1f}\" class=\"tick\" text-anchor=\"end\">{5}</text>",
        py, x.from, x.to, x.from - 6, py + 4, HtmlFromData(TickLabel(y.scale, v)));
  }
  if (y2) {
    for (double v : y2t) {
      out += fmt::format("<text x=\"{}\" y=\"{:.1f}\" class=\"tick\">{}</text>", x.to + 6,
                         y2->At(v) + 4, HtmlFromData(TickLabel(y2->scale, v)));
    }
  }
  return out;
}

std::string AxisTitles(const ChartSpec& spec, const Axis& x, const Axis& y, bool right) {
  std::string out = fmt::format(
      "<text x=\"{:.1f}\" y=\"{}\" class=\"label\" text-anchor=\"middle\">{}</text>"
      "<text transform=\"translate(14 {:.1f}) rotate(-90)\" class=\"label\" "
      "text-anchor=\"middle\">{}</text>",
      (x.from + x.to) / 2, kHeight - 6, HtmlFromData(spec.x_label), (y.from + y.to) / 2,
      HtmlFromData(spec.y_label));
  if (right) {
    out += fmt::format(
        "<text transform=\"translate({} {:.1f}) rotate(90)\" class=\"label\" "
        "text-anchor=\"middle\">{}</text>",
        kWidth - 10, (y.from + y.to) / 2, HtmlFromData(spec.y2_label));
  }
  return out;
}

std::string PointValue(AxisScale scale, double v) {
  return scale == AxisScale::kPercentile ? ExactNumber(v) + "%" : ExactNumber(v);
}

std::string SeriesSvg(const ChartSpec& spec, size_t index, const Axis& x, const Axis& y) {
  const ChartSeries& s = spec.series[index];
  std::string path, points;
  for (size_t i = 0; i < s.points.size(); ++i) {
    auto [vx, vy] = s.points[i];
    double px = x.At(vx), py = y.At(vy);
    if (i == 0) {
      path += fmt::format("M{:.1f} {:.1f}", px, py);
    } else {
      if (s.steps) path += fmt::format("H{:.1f}", px);
      path += fmt::format("L{:.1f} {:.1f}", px, py);
    }
    points += fmt::format(
        "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" class=\"pt\"><title>{} — {}: {}; {}: "
        "{}</title></circle>",
        px, py, HtmlFromData(s.name), HtmlFromData(spec.x_label), PointValue(spec.x_scale, vx),
        HtmlFromData(s.right_axis ? spec.y2_label : spec.y_label), ExactNumber(vy));
  }
  return fmt::format(
      "<g class=\"series\" style=\"color:{}\"><path d=\"{}\" class=\"line{}\"/>{}</g>",
      Colour(index), path, s.right_axis ? " dashed" : "", points);
}

std::string Legend(const ChartSpec& spec) {
  std::string out = "<ul class=\"legend\">";
  for (size_t i = 0; i < spec.series.size(); ++i) {
    out += fmt::format("<li><span class=\"swatch{}\" style=\"border-color:{}\"></span>{}{}</li>",
                       spec.series[i].right_axis ? " dashed" : "", Colour(i),
                       HtmlFromData(spec.series[i].name),
                       spec.series[i].right_axis ? " (right axis)" : "");
  }
  return out + "</ul>";
}

std::string Figure(const std::string& title, const std::string& svg, const std::string& after) {
  return fmt::format(
      "<figure class=\"chart\"><figcaption>{0}</figcaption><svg viewBox=\"0 0 {1} {2}\" "
      "role=\"img\" aria-label=\"{0}\">{3}</svg>{4}"
      "</figure>\n",
      HtmlFromData(title), kWidth, svg.empty() ? 0 : kHeight, svg, after);
}

// Returns every y of the series on the chosen side, for fitting the axis.
std::vector<double> Ys(const ChartSpec& spec, bool right) {
  std::vector<double> ys;
  for (const ChartSeries& s : spec.series) {
    if (s.right_axis != right) continue;
    for (const auto& p : s.points) ys.push_back(p.second);
  }
  return ys;
}
}  // namespace

std::vector<std::pair<double, double>> Downsample(
    const std::vector<std::pair<double, double>>& points, size_t max_points) {
  if (points.size() <= max_points || max_points == 0) return points;
  size_t per = (points.size() + max_points - 1) / max_points;
  std::vector<std::pair<double, double>> out;
  for (size_t i = 0; i < points.size(); i += per) {
    auto end = points.begin() + static_cast<std::ptrdiff_t>(std::min(points.size(), i + per));
    out.push_back(
        *std::max_element(points.begin() + static_cast<std::ptrdiff_t>(i), end,
                          [](const auto& a, const auto& b) { return a.second < b.second; }));
  }
  return out;
}

std::string RenderSvgChart(const ChartSpec& spec) {
  std::vector<double> xs;
  for (const ChartSeries& s : spec.series) {
    for (const auto& p : s.points) xs.push_back(p.first);
  }
  std::vector<double> left = Ys(spec, false), right = Ys(spec, true);
  if (xs.empty() || left.empty()) {
    return Figure(spec.title, "", "<p class=\"note\">No data for this chart in the run files.</p>");
  }
  double right_edge = kWidth - (right.empty() ? 16 : kLeft);
  std::vector<double> xt, yt, y2t;
  Axis x = FitAxis(spec.x_scale, xs, kLeft, right_edge, &xt);
  Axis y = FitAxis(spec.y_scale, left, kHeight - kBottom, kTop, &yt);
  Axis y2;
  if (!right.empty()) y2 = FitAxis(AxisScale::kLinear, right, kHeight - kBottom, kTop, &y2t);
  std::string svg = AxisLines(x, xt, y, yt, right.empty() ? nullptr : &y2, y2t) +
                    AxisTitles(spec, x, y, !right.empty());
  for (size_t i = 0; i < spec.series.size(); ++i) {
    svg += SeriesSvg(spec, i, x, spec.series[i].right_axis ? y2 : y);
  }
  std::string after = Legend(spec);
  if (!spec.note.empty()) after += "<p class=\"note\">" + HtmlFromData(spec.note) + "</p>";
  return Figure(spec.title, svg, after);
}

namespace {
constexpr double kWaterfallLabelWidth = 190, kRowHeight = 26;

std::string WaterfallRowSvg(const WaterfallRow& row, double y, const Axis& x) {
  std::string tip =
      fmt::format("{}: from {} ms, p50 {} ms, p99 {} ms", row.label, ExactNumber(row.start_ms),
                  ExactNumber(row.p50_ms), ExactNumber(row.p99_ms));
  if (!std::isnan(row.lesson_ms)) tip += "; the lesson says " + ExactNumber(row.lesson_ms) + " ms";
  double x0 = x.At(row.start_ms), x50 = x.At(row.start_ms + row.p50_ms);
  double x99 = x.At(row.start_ms + row.p99_ms);
  std::string out =
      fmt::format("<text x=\"{}\" y=\"{:.1f}\" class=\"tick\" text-anchor=\"end\">{}</text>",
                  kWaterfallLabelWidth - 6, y + 13, HtmlFromData(row.label));
  out += fmt::format(
      "<g class=\"bar{}\"><title>{}</title><rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" "
      "height=\"12\"/><line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" "
      "class=\"whisker\"/></g>",
      row.total ? " total" : "", HtmlFromData(tip), x0, y + 3, std::max(1.0, x50 - x0), x50, y + 9,
      std::max(x50, x99), y + 9);
  if (!std::isnan(row.lesson_ms)) {
    double l0 = x.At(row.lesson_start_ms), l1 = x.At(row.lesson_start_ms + row.lesson_ms);
    out += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"5\" class=\"lesson\">"
        "<title>the lesson: {} ms from {} ms</title></rect>",
        l0, y + 17, std::max(1.0, l1 - l0), ExactNumber(row.lesson_ms),
        ExactNumber(row.lesson_start_ms));
  }
  return out;
}
}  // namespace

std::string RenderSvgWaterfall(const WaterfallSpec& spec) {
  std::vector<double> ends = {1};
  for (const WaterfallRow& r : spec.rows) {
    ends.push_back(r.start_ms + std::max(r.p50_ms, r.p99_ms));
    if (!std::isnan(r.lesson_ms)) ends.push_back(r.lesson_start_ms + r.lesson_ms);
  }
  double height = kTop + kRowHeight * static_cast<double>(spec.rows.size()) + kBottom;
  std::vector<double> xt, yt;
  Axis x = FitAxis(AxisScale::kLinear, ends, kWaterfallLabelWidth, kWidth - 16, &xt);
  Axis y{AxisScale::kLinear, 0, 1, height - kBottom, kTop};
  std::string svg = AxisLines(x, xt, y, yt, nullptr, {});
  svg += fmt::format(
      "<text x=\"{:.1f}\" y=\"{}\" class=\"label\" text-anchor=\"middle\">ms from the request's "
      "send (bar: p50, whisker: p99; hatched: the lesson)</text>",
      (x.from + x.to) / 2, height - 6);
  for (size_t i = 0; i < spec.rows.size(); ++i) {
    svg += WaterfallRowSvg(spec.rows[i], kTop + kRowHeight * static_cast<double>(i), x);
  }
  return fmt::format(
      "<figure class=\"chart\"><figcaption>{0}</figcaption><svg viewBox=\"0 0 {1} {2}\" "
      "role=\"img\" aria-label=\"{0}\">{3}</svg></figure>\n",
      HtmlFromData(spec.title), kWidth, height, svg);
}

}  // namespace fib
