#include "core/close_names.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tfmodel {
namespace {

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::vector<std::string> ClosestNames(const std::string& name,
                                      const std::vector<std::string>& candidates, int max_results) {
  // Long names would make the quadratic distance costly: compare bounded prefixes.
  constexpr size_t kMaxLen = 128;
  const std::string a = name.substr(0, kMaxLen);
  std::vector<std::pair<size_t, const std::string*>> scored;
  const size_t limit = std::max<size_t>(2, a.size() / 3);
  for (const auto& c : candidates) {
    const size_t d = EditDistance(a, c.substr(0, kMaxLen));
    // One contains the other ("pred" for "pred_typo", "input_x" for "input").
    const bool substring = (a.size() >= 3 && c.find(a) != std::string::npos) ||
                           (c.size() >= 3 && a.find(c) != std::string::npos);
    if (d <= limit || substring) scored.emplace_back(substring ? std::min(d, limit) : d, &c);
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> out;
  for (const auto& [d, c] : scored) {
    if (static_cast<int>(out.size()) >= max_results) break;
    if (std::find(out.begin(), out.end(), *c) == out.end()) out.push_back(*c);
  }
  return out;
}

std::string DidYouMean(const std::string& name, const std::vector<std::string>& candidates) {
  const std::vector<std::string> close = ClosestNames(name, candidates);
  if (close.empty()) return "";
  return absl::StrCat("; did you mean ",
                      absl::StrJoin(close, ", ",
                                    [](std::string* out, const std::string& s) {
                                      absl::StrAppend(out, "'", s, "'");
                                    }),
                      "?");
}

}  // namespace tfmodel
