#pragma once

// The tick labels of a heatmap axis whose positions are an example's tokens (the Patterns page): each
// position's token with its role ("k 5", "v 40", "q 5", "7"), except where the token is filler. MQAR pads
// the query region with one token (0) between the queries, so a token axis used to read "0 0 0 0 ..."
// over half its length; a filler position reads as its position instead ("#40"), so the axis keeps
// saying where it is and the tokens that matter stand out. TokenAxisTicker moves a tick that falls on
// filler to a nearby token that is not, so the queries, keys and values get the labels.

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include <QString>
#include <QStringList>

#include "views/position_ticker.h"

namespace zoolab {

// The commonest token among the positions without a role, when it fills at least an eighth of the
// sequence (and three positions); nullopt when none does (random fill, a short example).
std::optional<int64_t> fillerToken(const std::vector<int64_t>& tokens, const std::map<int, QString>& roles);

// One label per position: "<role> <token>", "<token>", or "#<position>" at a filler position.
QStringList tokenAxisLabels(const std::vector<int64_t>& tokens, const std::map<int, QString>& roles);

// The positions themselves ("0", "1", ...): an axis that is not the example's tokens.
QStringList positionAxisLabels(int count);

// What a token axis's title adds: " (token)", or with a filler " (token; #n: position n, filler 0)", since
// its positions show "#n" rather than the token.
QString tokenAxisNote(const std::vector<int64_t>& tokens, const std::map<int, QString>& roles);

// PositionTicker's evenly spaced ticks, except that a tick on a filler position moves to the nearest
// position within half a step that is not filler (and has no tick yet).
class TokenAxisTicker : public PositionTicker {
 public:
  TokenAxisTicker(const std::vector<int64_t>& tokens, const std::map<int, QString>& roles);

 protected:
  QVector<double> createTickVector(double tickStep, const QCPRange& range) override;

 private:
  std::vector<bool> m_filler;  // per position
};

}  // namespace zoolab
