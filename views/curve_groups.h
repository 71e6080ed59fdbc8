#pragma once

// Seed groups on the curves tab: runs whose configurations differ only in their seeds
// (engine/analysis/seed_group.h) drawn as one mean curve with a band. Plain C++, no Qt: the curve view
// and its tests share it.
//
// Members are aligned by step: the group has a point at every step that all its members logged (no
// interpolation; a member's step logged twice, as after a resume, counts with its last value). Its x is
// the mean of the members' x at that step (the step itself, or the same epoch, or their mean elapsed time).

#include <cstdint>
#include <string>
#include <vector>

#include "engine/analysis/seed_group.h"
#include "views/curve_store.h"

namespace zoolab {

// The band around a group's mean, named as the dashboards' error-bar choices: "std" is mean ± the sample
// standard deviation, "minmax" spans the members' lowest to highest value.
enum class CurveBand { Std, MinMax };

// "std" or "minmax".
const char* curveBandName(CurveBand band);

// One member of a group: its series, and per series point the value drawn (raw or smoothed) and its x.
struct CurveGroupMember {
  const CurveSeries* series = nullptr;
  std::vector<double> values;  // series->size() values
  std::vector<double> xs;      // series->size() x values
};

struct CurveGroupPoint {
  int64_t step = 0;
  int64_t epoch = 0;  // the first member's, as stored (0-based)
  double x = 0.0;
  SpreadStats spread;  // of the members' values at this step
  double low = 0.0;    // the band drawn
  double high = 0.0;
};

// The group's curve, by increasing step. Steps where a member's value is not finite are left out.
std::vector<CurveGroupPoint> curveGroupMean(const std::vector<CurveGroupMember>& members, CurveBand band);

// A run name without its seed: sweeps name a repetition "<base>-seed=3" (or "-data.seed=3"), people write
// "<base>-s3", "<base>_seed3" or "<base> seed 3". Every such token is removed; a name that would become
// empty is kept as it is.
std::string seedlessName(const std::string& name);

}  // namespace zoolab
