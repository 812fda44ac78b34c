#include "common/flags.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>

namespace fib {

Result<int64_t> ParseInt(const std::string& text, const std::string& what) {
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE) {
    return Status::Error(what + " takes a whole number, got '" + text + "'");
  }
  return static_cast<int64_t>(v);
}

Result<double> ParseDouble(const std::string& text, const std::string& what) {
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(v)) {
    return Status::Error(what + " takes a number, got '" + text + "'");
  }
  return v;
}

namespace {
// Returns "milliseconds" for a bare unit of 0.001 s, "seconds" for 1 s, ... for messages.
std::string BareUnitName(double bare_unit_seconds) {
  if (bare_unit_seconds == 1e-6) return "microseconds";
  if (bare_unit_seconds == 1e-3) return "milliseconds";
  if (bare_unit_seconds == 60) return "minutes";
  if (bare_unit_seconds == 3600) return "hours";
  return "seconds";
}

// Seconds in one unit of a duration flag (MS, S or SECONDS, in either case); 0 when the unit is
// not a duration.
double DurationUnitSeconds(const std::string& unit) {
  std::string lower;
  for (char c : unit) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "ms") return 1e-3;
  if (lower == "s" || lower == "seconds") return 1;
  return 0;
}
}  // namespace

Result<double> ParseDuration(const std::string& text, double bare_unit_seconds,
                             const std::string& what) {
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  std::string suffix = end != nullptr ? std::string(end) : "";
  static const std::pair<const char*, double> kUnits[] = {
      {"", 0}, {"us", 1e-6}, {"ms", 1e-3}, {"s", 1}, {"m", 60}, {"min", 60}, {"h", 3600}};
  double scale = -1;
  for (const auto& [name, seconds] : kUnits) {
    if (suffix == name) scale = *name ? seconds : bare_unit_seconds;
  }
  if (text.empty() || end == text.c_str() || errno == ERANGE || !std::isfinite(v) || scale < 0) {
    return Status::Error(what +
                         " takes a duration: a number with a unit us, ms, s, m (or min) or " +
                         "h, e.g. 500ms, 30s, 2m; a bare number is " +
                         BareUnitName(bare_unit_seconds) + "; got '" + text + "'");
  }
  if (v < 0) return Status::Error(what + " must not be negative, got '" + text + "'");
  return v * scale;
}

namespace {
// Parses an integer flag value; a duration flag also takes units, converted to its own unit.
Result<int64_t> ParseIntFlag(const std::string& text, const std::string& unit,
                             const std::string& flag_name) {
  double unit_seconds = DurationUnitSeconds(unit);
  bool bare = !text.empty() && text.find_first_not_of("-0123456789") == std::string::npos;
  if (unit_seconds == 0 || bare) return ParseInt(text, flag_name);
  auto seconds = ParseDuration(text, unit_seconds, flag_name);
  if (!seconds.ok()) return seconds.status();
  double count = *seconds / unit_seconds;
  if (count > 9e15 || std::abs(count - std::round(count)) > 1e-6) {
    return Status::Error(flag_name + " counts whole " + BareUnitName(unit_seconds) + ", got '" +
                         text + "'");
  }
  return static_cast<int64_t>(std::llround(count));
}
}  // namespace

FlagSet::FlagSet(std::string program, std::string usage, std::string about)
    : program_(std::move(program)), usage_(std::move(usage)), about_(std::move(about)) {}

void FlagSet::Add(Flag flag) { flags_.push_back(std::move(flag)); }

void FlagSet::Int(const std::string& name, char short_name, int64_t* target,
                  const std::string& unit, const std::string& help) {
  std::string flag_name = "--" + name;
  Add({name, short_name, unit, help, std::to_string(*target), true,
       [target, flag_name, unit](const std::string& v) {
         auto r = ParseIntFlag(v, unit, flag_name);
         if (!r.ok()) return r.status();
         *target = *r;
         return Status::Ok();
       }});
}

void FlagSet::Int(const std::string& name, char short_name, int* target, const std::string& unit,
                  const std::string& help) {
  std::string flag_name = "--" + name;
  Add({name, short_name, unit, help, std::to_string(*target), true,
       [target, flag_name, unit](const std::string& v) {
         auto r = ParseIntFlag(v, unit, flag_name);
         if (!r.ok()) return r.status();
         if (*r < INT32_MIN || *r > INT32_MAX) {
           return Status::Error(flag_name + " is out of range: '" + v + "'");
         }
         *target = static_cast<int>(*r);
         return Status::Ok();
       }});
}

void FlagSet::Double(const std::string& name, char short_name, double* target,
                     const std::string& unit, const std::string& help) {
  std::ostringstream def;
  def << *target;
  std::string flag_name = "--" + name;
  double unit_seconds = DurationUnitSeconds(unit);
  Add({name, short_name, unit, help, def.str(), true,
       [target, flag_name, unit_seconds](const std::string& v) {
         Result<double> r = ParseDouble(v, flag_name);
         if (!r.ok() && unit_seconds > 0) {
           r = ParseDuration(v, unit_seconds, flag_name);
           if (r.ok()) *r /= unit_seconds;
         }
         if (!r.ok()) return r.status();
         *target = *r;
         return Status::Ok();
       }});
}

void FlagSet::String(const std::string& name, char short_name, std::string* target,
                     const std::string& unit, const std::string& help) {
  Add({name, short_name, unit, help, target->empty() ? "none" : "'" + *target + "'", true,
       [target](const std::string& v) {
         *target = v;
         return Status::Ok();
       }});
}

void FlagSet::StringList(const std::string& name, char short_name, std::vector<std::string>* target,
                         const std::string& unit, const std::string& help) {
  std::string def;
  for (const auto& s : *target) def += (def.empty() ? "'" : ", '") + s + "'";
  // The first occurrence replaces the defaults; later ones append.
  auto seen = std::make_shared<bool>(false);
  Add({name, short_name, unit, help, def.empty() ? "none" : def, true,
       [target, seen](const std::string& v) {
         if (!*seen) target->clear();
         *seen = true;
         target->push_back(v);
         return Status::Ok();
       }});
}

void FlagSet::Bool(const std::string& name, char short_name, bool* target,
                   const std::string& help) {
  Add({name, short_name, "", help, *target ? "on" : "off", false, [target](const std::string& v) {
         *target = (v == "true");
         return Status::Ok();
       }});
}

const FlagSet::Flag* FlagSet::Find(const std::string& name, bool* negated) const {
  *negated = false;
  for (const auto& f : flags_) {
    if (f.name == name) return &f;
  }
  if (name.rfind("no-", 0) == 0) {
    for (const auto& f : flags_) {
      if (!f.takes_value && f.name == name.substr(3)) {
        *negated = true;
        return &f;
      }
    }
  }
  return nullptr;
}

Status FlagSet::Parse(int argc, char** argv, std::vector<std::string>* positional) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      help_requested_ = true;
      return Status::Ok();
    }
    if (arg == "--") {
      for (++i; i < argc; ++i) {
        if (!positional) return Status::Error(std::string("unexpected argument '") + argv[i] + "'");
        positional->push_back(argv[i]);
      }
      break;
    }
    const Flag* flag = nullptr;
    bool negated = false;
    std::string value;
    bool has_inline_value = false;
    std::string shown = arg;
    if (arg.rfind("--", 0) == 0) {
      std::string name = arg.substr(2);
      size_t eq = name.find('=');
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_inline_value = true;
        shown = "--" + name;
      }
      flag = Find(name, &negated);
    } else if (arg.size() >= 2 && arg[0] == '-' && arg[1] != '-' &&
               !(arg.size() > 1 &&
                 (isdigit(static_cast<unsigned char>(arg[1])) || arg[1] == '.'))) {
      for (const auto& f : flags_) {
        if (f.short_name == arg[1]) flag = &f;
      }
      shown = arg.substr(0, 2);
      if (arg.size() > 2) {
        value = arg.substr(2);
        has_inline_value = true;
      }
    } else {
      if (!positional) return Status::Error("unexpected argument '" + arg + "'");
      positional->push_back(arg);
      continue;
    }
    if (!flag) return Status::Error("unknown flag '" + shown + "'");
    if (!flag->takes_value) {
      if (has_inline_value) return Status::Error(shown + " takes no value");
      Status s = flag->set(negated ? "false" : "true");
      if (!s.ok()) return s;
      continue;
    }
    if (!has_inline_value) {
      if (i + 1 >= argc) return Status::Error(shown + " needs a value (" + flag->help + ")");
      value = argv[++i];
    }
    Status s = flag->set(value);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

std::string FlagSet::Usage() const {
  std::ostringstream out;
  out << "Usage: " << program_ << " " << usage_ << "\n\n" << about_ << "\n\nOptions:\n";
  for (const auto& f : flags_) {
    std::string left = "  ";
    left += f.short_name ? std::string("-") + f.short_name + ", " : "    ";
    left += "--" + f.name;
    if (f.takes_value) left += " " + (f.unit.empty() ? std::string("VALUE") : f.unit);
    out << left;
    if (left.size() < 30) {
      out << std::string(30 - left.size(), ' ');
    } else {
      out << "\n" << std::string(30, ' ');
    }
    out << f.help << " (default: " << f.default_text << ")\n";
  }
  out << "  -h, --help                  show this help and exit\n";
  bool has_duration = false;
  for (const auto& f : flags_) has_duration = has_duration || DurationUnitSeconds(f.unit) > 0;
  if (has_duration) {
    out << "\nDurations (MS, S, SECONDS, in either case) also take a unit: 250us, 500ms, 30s, 2m,\n"
           "1h; a bare number is in the flag's own unit.\n";
  }
  if (!epilog_.empty()) out << "\n" << epilog_ << "\n";
  out << "\nExit codes: 0 ok, 1 failure, 2 bad usage.\n";
  return out.str();
}

void FlagSet::ParseOrExit(int argc, char** argv, std::vector<std::string>* positional) {
  Status s = Parse(argc, argv, positional);
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\nTry '%s --help'.\n", program_.c_str(), s.message().c_str(),
                 program_.c_str());
    std::exit(2);
  }
  if (help_requested_) {
    std::fputs(Usage().c_str(), stdout);
    std::exit(0);
  }
}

}  // namespace fib
