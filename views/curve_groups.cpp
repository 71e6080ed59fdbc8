#include "views/curve_groups.h"

#include <cmath>
#include <map>
#include <regex>

namespace zoolab {

const char* curveBandName(CurveBand band) {
  return band == CurveBand::MinMax ? "minmax" : "std";
}

std::vector<CurveGroupPoint> curveGroupMean(const std::vector<CurveGroupMember>& members, CurveBand band) {
  std::vector<CurveGroupPoint> points;
  if (members.empty()) {
    return points;
  }
  // Per member, step -> index of its last point of that step.
  std::vector<std::map<int64_t, size_t>> byStep(members.size());
  for (size_t m = 0; m < members.size(); ++m) {
    const CurveSeries& series = *members[m].series;
    for (size_t i = 0; i < series.size(); ++i) {
      byStep[m][series.steps[i]] = i;
    }
  }
  std::vector<double> values(members.size());
  for (const auto& [step, firstIndex] : byStep.front()) {
    double xSum = 0.0;
    bool complete = true;
    for (size_t m = 0; m < members.size() && complete; ++m) {
      const auto found = byStep[m].find(step);
      if (found == byStep[m].end()) {
        complete = false;
        break;
      }
      values[m] = members[m].values[found->second];
      xSum += members[m].xs[found->second];
      complete = std::isfinite(values[m]);
    }
    if (!complete) {
      continue;
    }
    CurveGroupPoint point;
    point.step = step;
    point.epoch = members.front().series->epochs[firstIndex];
    point.x = xSum / static_cast<double>(members.size());
    point.spread = spread_of(values);
    if (band == CurveBand::MinMax) {
      point.low = point.spread.min;
      point.high = point.spread.max;
    } else {
      point.low = point.spread.mean - point.spread.std;
      point.high = point.spread.mean + point.spread.std;
    }
    points.push_back(point);
  }
  return points;
}

std::string seedlessName(const std::string& name) {
  // The name's start or a separator, then "seed" (optionally "data.seed") or "s", an optional "=", "_", "-"
  // or " ", digits, then the name's end or a separator: "lr=0.1-bs64" keeps its "s64".
  static const std::regex token(R"((?:^|[-_ .])(?:data\.)?(?:seed|s)[-_= ]?\d+(?=$|[-_ .]))",
                                std::regex::icase);
  std::string stripped = std::regex_replace(name, token, "");
  // "seed=1-lr=0.1" loses its first token with no separator before it: drop the one left behind.
  while (!stripped.empty() &&
         (stripped.front() == '-' || stripped.front() == '_' || stripped.front() == ' ')) {
    stripped.erase(stripped.begin());
  }
  return stripped.empty() ? name : stripped;
}

}  // namespace zoolab
