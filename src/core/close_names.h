// "Did you mean" hints: the names closest to a misspelled one, for error messages.
#ifndef TFMODEL_CORE_CLOSE_NAMES_H_
#define TFMODEL_CORE_CLOSE_NAMES_H_

#include <string>
#include <vector>

namespace tfmodel {

// Names in `candidates` closest to `name` (edit distance at most max(2, |name| / 3), or
// one containing the other when it has 3+ characters), best first, at most `max_results`.
// Long names are compared on bounded prefixes.
std::vector<std::string> ClosestNames(const std::string& name,
                                      const std::vector<std::string>& candidates,
                                      int max_results = 3);

// "; did you mean 'a', 'b'?" for the closest names, or "" when none is close.
std::string DidYouMean(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace tfmodel

#endif  // TFMODEL_CORE_CLOSE_NAMES_H_
