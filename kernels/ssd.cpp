#include "kernels/ssd.h"

#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace zoolab::kernels {

namespace {

std::string ssd_shape_text(const torch::Tensor& t) {
  std::string s = "(";
  for (int64_t i = 0; i < t.dim(); ++i) {
    s += (i ? ", " : "") + std::to_string(t.size(i));
  }
  return s + ")";
}

// Checks the shapes of the scan's inputs; throws naming the argument and what was expected.
void ssd_check_inputs(const char* fn, const torch::Tensor& x, const torch::Tensor& dt, const torch::Tensor& A,
                      const torch::Tensor& B, const torch::Tensor& C) {
  auto fail = [fn](const std::string& what) { throw std::invalid_argument(std::string(fn) + ": " + what); };
  if (x.dim() != 4) {
    fail("x must be (B, H, L, P), got " + ssd_shape_text(x));
  }
  const int64_t batch = x.size(0), heads = x.size(1), len = x.size(2);
  if (dt.dim() != 3 || dt.size(0) != batch || dt.size(1) != heads || dt.size(2) != len) {
    fail("dt must be (B, H, L) = (" + std::to_string(batch) + ", " + std::to_string(heads) + ", " +
         std::to_string(len) + "), got " + ssd_shape_text(dt));
  }
  if (A.dim() != 1 || A.size(0) != heads) {
    fail("A must be (H,) = (" + std::to_string(heads) + ",), got " + ssd_shape_text(A));
  }
  if (B.dim() != 4 || B.size(0) != batch || B.size(2) != len || B.sizes() != C.sizes()) {
    fail("B and C must both be (B, G, L, N) with B = " + std::to_string(batch) +
         ", L = " + std::to_string(len) + ", got " + ssd_shape_text(B) + " and " + ssd_shape_text(C));
  }
  if (B.size(1) < 1 || heads % B.size(1) != 0) {
    fail("the number of heads H = " + std::to_string(heads) +
         " must be a multiple of the number of groups G = " + std::to_string(B.size(1)));
  }
}

// exp(cs_t - cs_s) for s ≤ t and 0 above the diagonal, over the last two dims. The difference is taken
// in log space and masked before the exp, so nothing above the diagonal can overflow (mamba_ssm's
// segsum, ssd_minimal.py) and no cumulative decay is ever divided by.
torch::Tensor ssd_segsum_decay(const torch::Tensor& cs) {
  const int64_t n = cs.size(-1);
  const auto upper = torch::ones({n, n}, cs.options().dtype(torch::kBool)).triu(1);
  return (cs.unsqueeze(-1) - cs.unsqueeze(-2))
      .masked_fill(upper, -std::numeric_limits<double>::infinity())
      .exp();
}

}  // namespace

torch::Tensor ssd_scan(const torch::Tensor& x, const torch::Tensor& dt, const torch::Tensor& A,
                       const torch::Tensor& B, const torch::Tensor& C, int64_t chunk_size) {
  ssd_check_inputs("ssd_scan", x, dt, A, B, C);
  if (chunk_size < 1) {
    throw std::invalid_argument("ssd_scan: chunk_size must be at least 1, got " + std::to_string(chunk_size));
  }
  const int64_t batch = x.size(0), heads = x.size(1), len = x.size(2), hdim = x.size(3);
  const int64_t groups = B.size(1), nstate = B.size(3), per_group = heads / groups;
  if (len == 0) {
    return torch::zeros_like(x);
  }
  const int64_t chunk = std::min(chunk_size, len);
  const int64_t nchunks = (len + chunk - 1) / chunk;
  const int64_t pad = nchunks * chunk - len;
  // Zero padding at the end: dt = 0 there is an inert step (no decay, no input), and positions after
  // L cannot reach the first L outputs anyway.
  const auto xc =
      torch::constant_pad_nd(x, {0, 0, 0, pad}).view({batch, groups, per_group, nchunks, chunk, hdim});
  const auto dtc = torch::constant_pad_nd(dt, {0, pad}).view({batch, groups, per_group, nchunks, chunk});
  const auto Bc = torch::constant_pad_nd(B, {0, 0, 0, pad}).view({batch, groups, 1, nchunks, chunk, nstate});
  const auto Cc = torch::constant_pad_nd(C, {0, 0, 0, pad}).view({batch, groups, 1, nchunks, chunk, nstate});

  // Cumulative log decay within each chunk: cs_i = a_0 + … + a_i.
  const auto cs = (dtc * A.view({1, groups, per_group, 1, 1})).cumsum(-1);  // (B, G, R, nc, T)

  // 1. Within a chunk (the "attention" form of SSD): y_i = Σ_{j ≤ i} (C_i · B_j) e^{cs_i - cs_j} dt_j x_j.
  const auto scores = torch::matmul(Cc, Bc.transpose(-1, -2));             // (B, G, 1, nc, T, T)
  const auto weights = scores * ssd_segsum_decay(cs) * dtc.unsqueeze(-2);  // (B, G, R, nc, T, T)
  auto y = torch::matmul(weights, xc);                                     // (B, G, R, nc, T, P)

  // 2. What each chunk adds to the state by its end: Σ_j e^{cs_last - cs_j} dt_j x_j B_jᵀ.
  const auto to_end = (cs.narrow(-1, chunk - 1, 1) - cs).exp() * dtc;  // (B, G, R, nc, T)
  const auto states =
      torch::matmul((xc * to_end.unsqueeze(-1)).transpose(-1, -2), Bc);  // (B, G, R, nc, P, N)

  // 3. State passing: the state entering chunk c is the one entering c-1 decayed over that chunk plus
  //    what c-1 added. One step per chunk (L / T of them), each a (P, N) update per head.
  const auto chunk_decay = cs.select(-1, chunk - 1).exp();  // (B, G, R, nc)
  std::vector<torch::Tensor> entering;
  entering.reserve(static_cast<size_t>(nchunks));
  auto h = torch::zeros({batch, groups, per_group, hdim, nstate}, x.options());  // (B, G, R, P, N)
  for (int64_t c = 0; c < nchunks; ++c) {
    entering.push_back(h);
    if (c + 1 < nchunks) {
      h = h * chunk_decay.select(-1, c).unsqueeze(-1).unsqueeze(-1) + states.select(3, c);
    }
  }
  const auto prev = torch::stack(entering, 3);  // (B, G, R, nc, P, N)

  // 4. The entering state read at each position, decayed from the chunk start: e^{cs_i} h C_i.
  y = y + torch::matmul(Cc, prev.transpose(-1, -2)) * cs.exp().unsqueeze(-1);  // (B, G, R, nc, T, P)
  return y.view({batch, heads, nchunks * chunk, hdim}).narrow(2, 0, len);
}

torch::Tensor ssd_scan_reference(const torch::Tensor& x, const torch::Tensor& dt, const torch::Tensor& A,
                                 const torch::Tensor& B, const torch::Tensor& C) {
  ssd_check_inputs("ssd_scan_reference", x, dt, A, B, C);
  const int64_t batch = x.size(0), heads = x.size(1), len = x.size(2), hdim = x.size(3);
  const int64_t per_group = heads / B.size(1), nstate = B.size(3);
  const auto Bh = B.repeat_interleave(per_group, 1);   // (B, H, L, N)
  const auto Ch = C.repeat_interleave(per_group, 1);   // (B, H, L, N)
  const auto decay = (dt * A.view({1, -1, 1})).exp();  // (B, H, L)
  auto h = torch::zeros({batch, heads, hdim, nstate}, x.options());
  std::vector<torch::Tensor> ys;
  ys.reserve(static_cast<size_t>(len));
  for (int64_t t = 0; t < len; ++t) {
    const auto input = (dt.select(2, t).unsqueeze(-1) * x.select(2, t)).unsqueeze(-1) *
                       Bh.select(2, t).unsqueeze(-2);                           // (B, H, P, N)
    h = h * decay.select(2, t).unsqueeze(-1).unsqueeze(-1) + input;             // (B, H, P, N)
    ys.push_back(torch::matmul(h, Ch.select(2, t).unsqueeze(-1)).squeeze(-1));  // (B, H, P)
  }
  if (ys.empty()) {
    return torch::zeros_like(x);
  }
  return torch::stack(ys, 2);  // (B, H, L, P)
}

torch::Tensor ssd_weights(const torch::Tensor& dt, const torch::Tensor& A, const torch::Tensor& B,
                          const torch::Tensor& C) {
  if (dt.dim() != 3) {
    throw std::invalid_argument("ssd_weights: dt must be (B, H, L), got " + ssd_shape_text(dt));
  }
  // x only carries the shapes through the check: one value per position.
  ssd_check_inputs("ssd_weights", torch::empty({dt.size(0), dt.size(1), dt.size(2), 1}, dt.options()), dt, A,
                   B, C);
  const int64_t batch = dt.size(0), heads = dt.size(1), len = dt.size(2);
  const int64_t groups = B.size(1), per_group = heads / groups;
  const auto cs = (dt * A.view({1, -1, 1})).cumsum(-1).view({batch, groups, per_group, len});  // (B, G, R, L)
  const auto scores = torch::matmul(C, B.transpose(-1, -2)).unsqueeze(2);  // (B, G, 1, L, L)
  const auto weights = scores * ssd_segsum_decay(cs) * dt.view({batch, groups, per_group, 1, len});
  return weights.reshape({batch, heads, len, len});  // (B, H, L, L)
}

}  // namespace zoolab::kernels
