#include "views/token_axis_labels.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <QCoreApplication>

namespace zoolab {

std::optional<int64_t> fillerToken(const std::vector<int64_t>& tokens, const std::map<int, QString>& roles) {
  std::map<int64_t, int> counts;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (roles.count(static_cast<int>(i)) == 0) {
      ++counts[tokens[i]];
    }
  }
  const auto commonest = std::max_element(counts.begin(), counts.end(),
                                          [](const auto& a, const auto& b) { return a.second < b.second; });
  const int enough = std::max<int>(3, static_cast<int>((tokens.size() + 7) / 8));
  if (commonest == counts.end() || commonest->second < enough) {
    return std::nullopt;
  }
  return commonest->first;
}

QStringList tokenAxisLabels(const std::vector<int64_t>& tokens, const std::map<int, QString>& roles) {
  const std::optional<int64_t> filler = fillerToken(tokens, roles);
  QStringList labels;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const int position = static_cast<int>(i);
    const auto role = roles.find(position);
    const QString token = QString::number(tokens[i]);
    if (role != roles.end()) {
      labels.append(role->second + QLatin1Char(' ') + token);
    } else if (filler && tokens[i] == *filler) {
      labels.append(QLatin1Char('#') + QString::number(position));
    } else {
      labels.append(token);
    }
  }
  return labels;
}

QStringList positionAxisLabels(int count) {
  QStringList labels;
  for (int i = 0; i < count; ++i) {
    labels.append(QString::number(i));
  }
  return labels;
}

QString tokenAxisNote(const std::vector<int64_t>& tokens, const std::map<int, QString>& roles) {
  const std::optional<int64_t> filler = fillerToken(tokens, roles);
  return filler
             ? QCoreApplication::translate("PatternView", " (token; #n: position n, filler %1)").arg(*filler)
             : QCoreApplication::translate("PatternView", " (token)");
}

TokenAxisTicker::TokenAxisTicker(const std::vector<int64_t>& tokens, const std::map<int, QString>& roles)
    : PositionTicker(tokenAxisLabels(tokens, roles)) {
  const std::optional<int64_t> filler = fillerToken(tokens, roles);
  for (size_t i = 0; i < tokens.size(); ++i) {
    m_filler.push_back(filler && tokens[i] == *filler && roles.count(static_cast<int>(i)) == 0);
  }
}

QVector<double> TokenAxisTicker::createTickVector(double tickStep, const QCPRange& range) {
  const QVector<double> even = PositionTicker::createTickVector(tickStep, range);
  const long size = static_cast<long>(m_filler.size());
  const long half = std::max(0L, static_cast<long>(std::lround(tickStep)) / 2);
  std::set<long> ticks;
  for (const double t : even) {
    ticks.insert(std::lround(t));
  }
  std::set<long> out;
  for (const long tick : ticks) {
    long chosen = tick;
    if (tick >= 0 && tick < size && m_filler[static_cast<size_t>(tick)]) {
      // Nearest first; on a tie the later position (a query follows the filler before it).
      for (long d = 1; d <= half && chosen == tick; ++d) {
        for (const long p : {tick + d, tick - d}) {
          const bool free = p >= 0 && p < size && !m_filler[static_cast<size_t>(p)] && ticks.count(p) == 0 &&
                            out.count(p) == 0 && range.contains(static_cast<double>(p));
          if (free) {
            chosen = p;
            break;
          }
        }
      }
    }
    out.insert(chosen);
  }
  return QVector<double>(out.begin(), out.end());
}

}  // namespace zoolab
