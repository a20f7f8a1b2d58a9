// The report as text (grouped figures, each with its ratios, then the targets)
// and as JSON.
#include <cmath>
#include <cstdio>
#include <string>

#include "tools/bench/bench.h"

namespace pa_journal::bench {

namespace {

// A number with three significant digits at least and thousands separators.
std::string number(double v) {
  if (std::isnan(v)) return "n/a";
  char buf[64];
  if (std::fabs(v) >= 1000) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
    std::string digits = buf, out;
    size_t start = digits[0] == '-' ? 1 : 0;
    for (size_t i = 0; i < digits.size(); ++i) {
      if (i > start && (digits.size() - i) % 3 == 0) out += ',';
      out += digits[i];
    }
    return out;
  }
  std::snprintf(buf, sizeof buf,
                std::fabs(v) >= 100  ? "%.0f"
                : std::fabs(v) >= 10 ? "%.1f"
                                     : "%.2f",
                v);
  return buf;
}

std::string ratio_text(double r) {
  if (std::isnan(r)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, r >= 100 ? "%.0fx" : r >= 10 ? "%.1fx" : "%.2fx", r);
  return buf;
}

std::string need_text(const Target& t) {
  return std::string(t.at_least ? ">= " : "<= ") + ratio_text(t.required);
}

std::string verdict(const Target& t) {
  if (std::isnan(t.ratio)) return "n/a ";
  return t.pass ? "PASS" : "MISS";
}

std::string pad(const std::string& s, size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

std::string lpad(const std::string& s, size_t width) {
  return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

double or_nan(const std::optional<double>& v) { return v ? *v : std::nan(""); }

nlohmann::json number_or_null(double v) {
  return std::isnan(v) || std::isinf(v) ? nlohmann::json(nullptr) : nlohmann::json(v);
}

}  // namespace

nlohmann::json to_json(const Report& report) {
  nlohmann::json figures = nlohmann::json::array();
  for (const Figure& f : report.figures) {
    nlohmann::json j = {{"id", f.id},       {"group", f.group},
                        {"label", f.label}, {"value", number_or_null(f.value)},
                        {"unit", f.unit},   {"samples", f.samples}};
    if (f.p50_us) j["p50_us"] = number_or_null(*f.p50_us);
    if (f.p99_us) j["p99_us"] = number_or_null(*f.p99_us);
    if (!f.detail.empty()) j["detail"] = f.detail;
    nlohmann::json ratios = nlohmann::json::array();
    for (const Target& t : report.targets) {
      if (t.figure != f.id) continue;
      ratios.push_back({{"versus", t.versus},
                        {"ratio", number_or_null(t.ratio)},
                        {"target", t.id},
                        {"pass", t.pass}});
    }
    for (const auto& [versus, r] : f.ratios) {
      ratios.push_back({{"versus", versus}, {"ratio", number_or_null(r)}});
    }
    j["ratios"] = std::move(ratios);
    figures.push_back(std::move(j));
  }
  nlohmann::json targets = nlohmann::json::array();
  for (const Target& t : report.targets) {
    targets.push_back({{"id", t.id},
                       {"target", t.text},
                       {"figure", t.figure},
                       {"versus", t.versus},
                       {"ratio", number_or_null(t.ratio)},
                       {"required", t.required},
                       {"comparison", t.at_least ? ">=" : "<="},
                       {"measured", t.measured},
                       {"pass", t.pass},
                       {"note", t.note}});
  }
  return {{"machine", report.machine},
          {"config", report.config},
          {"figures", std::move(figures)},
          {"targets", std::move(targets)},
          {"targets_measured", report.measured()},
          {"targets_held", report.measured() - report.misses()},
          {"targets_missed", report.misses()},
          {"notes", report.notes},
          {"elapsed_s", report.elapsed_s}};
}

void print_text(const Report& report, std::ostream& out) {
  const auto& m = report.machine;
  out << "pa-journal bench: " << m.value("cores", 0u) << " cores (" << m.value("cpu", "")
      << "), " << m.value("kernel", "") << ", " << m.value("filesystem", "") << " at "
      << m.value("dir", "") << ", SQLite " << m.value("sqlite", "") << "\n";
  const auto& c = report.config;
  out << "workload: " << c.value("document_bytes", 0u) << "-byte contact documents; "
      << c.value("seconds_per_contender", 0.0) << " s per contender in "
      << c.value("rounds", 0) << " interleaved bursts; MB = 10^6 bytes\n";
  if (c.contains("cli_document_bytes")) {
    out << "command line: " << c.value("cli_document_bytes", 0u)
        << "-byte contact documents; whole processes, the tool against the sqlite3 "
           "shell\n";
  }
  std::string group;
  for (const Figure& f : report.figures) {
    if (f.group != group) {
      group = f.group;
      out << "\n" << group << "\n";
    }
    out << "  " << pad(f.label, 38) << lpad(number(f.value), 12) << " "
        << pad(f.unit, 10);
    if (f.p50_us) out << "  p50 " << lpad(number(or_nan(f.p50_us)), 8) << " us";
    if (f.p99_us) out << "  p99 " << lpad(number(or_nan(f.p99_us)), 8) << " us";
    if (!f.detail.empty()) out << "  (" << f.detail << ")";
    out << "\n";
    for (const Target& t : report.targets) {
      if (t.figure != f.id) continue;
      out << "      " << lpad(ratio_text(t.ratio), 7) << " vs " << t.versus
          << "  (target " << need_text(t) << ": " << verdict(t) << ")\n";
    }
    for (const auto& [versus, r] : f.ratios) {
      out << "      " << lpad(ratio_text(r), 7) << " vs " << versus << "\n";
    }
  }
  out << "\nTargets of docs/design.md 7\n";
  for (const Target& t : report.targets) {
    out << "  " << verdict(t) << "  " << pad(t.text, 84) << lpad(ratio_text(t.ratio), 8)
        << "  (need " << need_text(t) << ")";
    if (!t.note.empty()) out << "  [" << t.note << "]";
    out << "\n";
  }
  out << "\n"
      << report.measured() - report.misses() << " of " << report.measured()
      << " measured targets hold; " << report.misses() << " miss"
      << (report.measured() < report.targets.size()
              ? "; " + std::to_string(report.targets.size() - report.measured()) +
                    " not measured"
              : std::string())
      << ". Elapsed " << number(report.elapsed_s) << " s.\n";
  for (const auto& note : report.notes) out << "note: " << note << "\n";
}

}  // namespace pa_journal::bench
