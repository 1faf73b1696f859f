// Information theory and Bayes' rule for discrete distributions, in nats (natural logarithms).
//
// P, Q are probability vectors of length K: entries ≥ 0 that sum to 1 (checked to 1e-9; an
// error names the argument). Conventions: 0 log 0 = 0 (a term with pᵢ = 0 contributes nothing),
// and a term with pᵢ > 0 = qᵢ makes H(P, Q) and KL(P ‖ Q) = +∞.
#pragma once

#include "framework/math/linalg.h"

namespace gradlab::math {

// H(P) = −Σ pᵢ log pᵢ ∈ [0, log K].
double entropy(const Vector& p);

// H(P, Q) = −Σ pᵢ log qᵢ: the expected code length of P's outcomes under a code built for Q.
// With a one-hot P (the true class t) this is −log q_t, the classification loss.
double cross_entropy(const Vector& p, const Vector& q);

// KL(P ‖ Q) = Σ pᵢ log(pᵢ / qᵢ) = H(P, Q) − H(P) ≥ 0, zero only when P = Q. Not symmetric.
double kl_divergence(const Vector& p, const Vector& q);

// log softmax(z)ᵢ = zᵢ − m − log Σⱼ exp(zⱼ − m), m = max z: subtracting m keeps every exp ≤ 1,
// so logits of ±1000 give finite answers. For a matrix, row by row.
Tensor<double> log_softmax(const Tensor<double>& logits);
Tensor<double> softmax(const Tensor<double>& logits);

// The same three quantities with Q (and P) given as logits, through log_softmax, so that a
// probability that underflows to 0 still has a finite logarithm.
double entropy_from_logits(const Vector& logits_p);
double cross_entropy_from_logits(const Vector& p, const Vector& logits_q);
double kl_divergence_from_logits(const Vector& logits_p, const Vector& logits_q);

// Bayes' rule over K hypotheses: P(hᵢ | e) = P(e | hᵢ) P(hᵢ) / Σⱼ P(e | hⱼ) P(hⱼ).
// prior is a probability vector; likelihood holds P(e | hᵢ) ∈ [0, 1] per hypothesis (not a
// distribution over i). Throws if the evidence has probability 0 under the prior.
Vector bayes_posterior(const Vector& prior, const Vector& likelihood);

}  // namespace gradlab::math
