// HtmlText: the one place report data (profile names, labels, request ids, error strings — all
// untrusted, from run files) is made safe for report.html: as HTML text or attribute values, and
// as JSON inside an inline <script> block. Numbers shown in report.html are formatted here too.
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace fib {

// Returns `text` safe as HTML (and SVG) element text or a quoted attribute value: common/text.h's
// HtmlEscape (& < > " ' as character references) after control characters other than tab and
// newline, and invalid UTF-8, become U+FFFD (a browser must not meet a raw NUL or broken byte).
std::string HtmlFromData(std::string_view text);

// Returns `json` serialized for a <script type="application/json"> block: '<', '>', '&', U+2028
// and U+2029 become \u escapes, so no string in it can end the block or break a JS parser.
std::string ScriptJson(const nlohmann::json& json);

// Returns `value` as its shortest round-trip decimal ("225.919", "80", "1e-05"): what a table
// shows must equal the number summary.json holds. "–" for NaN or infinity.
std::string ExactNumber(double value);

// Returns `value` with about 3 significant digits ("226", "24.4", "0.254") for chart labels.
std::string ShortNumber(double value);

}  // namespace fib
