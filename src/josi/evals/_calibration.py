"""Pure math over confidences and action distributions: calibration and the shipped sampler.

Nothing here loads a model or reads a file. The callers pass plain numbers:
- ``reliability`` bins (confidence, correct) pairs into equal-width bins and returns the
  expected calibration error (ECE) with the reliability table it is computed from;
- ``sampler_distribution`` applies llama.cpp's sampler chain (top-k, top-p, min-p,
  temperature, in the order ``Engine._sampler`` builds it) to a distribution over a few
  candidates, exactly, without drawing a sample;
- ``expected_accuracy`` and ``fragile`` turn the probability of the right candidate under
  that sampler into what a run reports next to its greedy accuracy.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

ECE_BINS = 10
# A case whose right action the shipped sampler picks less often than this is "fragile": it
# passes greedily (or not) but fails more than one time in ten on the phone.
FRAGILE_BELOW = 0.9


@dataclass(frozen=True)
class ReliabilityBin:
    lo: float
    hi: float
    n: int
    mean_confidence: float
    accuracy: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "range": f"{self.lo:.1f}-{self.hi:.1f}",
            "n": self.n,
            "confidence": round(self.mean_confidence, 4),
            "accuracy": round(self.accuracy, 4),
        }


@dataclass(frozen=True)
class Reliability:
    """ECE and the non-empty bins it sums over (None and no bins when there were no pairs)."""

    ece: float | None
    n: int
    bins: tuple[ReliabilityBin, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "ece": None if self.ece is None else round(self.ece, 4),
            "n": self.n,
            "bins": [b.to_dict() for b in self.bins],
        }


def reliability(pairs: Iterable[tuple[float, bool]], n_bins: int = ECE_BINS) -> Reliability:
    """Equal-width bins [lo, hi) over [0, 1], the last closed; ECE = sum n_b/N |acc_b - conf_b|."""
    pairs = [(float(c), bool(ok)) for c, ok in pairs]
    if not pairs:
        return Reliability(None, 0, ())
    bins: list[ReliabilityBin] = []
    ece = 0.0
    for b in range(n_bins):
        lo, hi = b / n_bins, (b + 1) / n_bins
        inside = [(c, ok) for c, ok in pairs if lo <= c < hi or (b == n_bins - 1 and c == 1.0)]
        if not inside:
            continue
        conf = math.fsum(c for c, _ in inside) / len(inside)
        acc = sum(ok for _, ok in inside) / len(inside)
        ece += len(inside) / len(pairs) * abs(acc - conf)
        bins.append(ReliabilityBin(lo, hi, len(inside), conf, acc))
    return Reliability(ece, len(pairs), tuple(bins))


@dataclass(frozen=True)
class SamplerSettings:
    """The sampling knobs of one mode; 0 disables top_k and min_p, temperature 0 is greedy."""

    temperature: float
    top_p: float = 1.0
    top_k: int = 0
    min_p: float = 0.0


def sampler_distribution(probs: Mapping[str, float], settings: SamplerSettings) -> dict[str, float]:
    """The probability that the sampler chain picks each candidate, given their probabilities.

    ``probs`` is the model's distribution over the candidates (temperature 1). The steps are
    llama.cpp's, in ``Engine._sampler``'s order: top-k keeps the k most likely; top-p keeps
    the smallest most-likely-first prefix whose renormalised mass reaches top_p (at least
    one); min-p keeps candidates with p >= min_p * max p; temperature T raises the survivors
    to the power 1/T and renormalises. Top-p and min-p therefore see the temperature-1
    distribution, not the sharpened one. Temperature 0 is greedy: the most likely gets 1.
    Candidates with probability 0 keep 0; the result has the input's keys.
    """
    out = {key: 0.0 for key in probs}
    alive = sorted(((key, float(p)) for key, p in probs.items() if p > 0.0), key=lambda kv: -kv[1])
    if not alive:
        raise ValueError("the distribution has no candidate with positive probability")
    if settings.temperature <= 0.0:
        out[alive[0][0]] = 1.0
        return out
    if 0 < settings.top_k < len(alive):
        alive = alive[: settings.top_k]
    if settings.top_p < 1.0:
        total = math.fsum(p for _, p in alive)
        cum, keep = 0.0, len(alive)
        for i, (_, p) in enumerate(alive):
            cum += p / total
            if cum >= settings.top_p:
                keep = i + 1
                break
        alive = alive[:keep]
    if settings.min_p > 0.0:
        floor = settings.min_p * alive[0][1]
        alive = [kv for kv in alive if kv[1] >= floor] or alive[:1]
    # p^(1/T) in log space: small probabilities at low temperature would underflow otherwise.
    logs = [(key, math.log(p) / settings.temperature) for key, p in alive]
    top = max(v for _, v in logs)
    weights = [(key, math.exp(v - top)) for key, v in logs]
    norm = math.fsum(w for _, w in weights)
    for key, w in weights:
        out[key] = w / norm
    return out


def expected_accuracy(p_correct: Sequence[float]) -> float | None:
    """Mean probability of the right answer: the accuracy a sampled run scores on average."""
    if not p_correct:
        return None
    return math.fsum(p_correct) / len(p_correct)


def fragile(p_correct: float, below: float = FRAGILE_BELOW) -> bool:
    return p_correct < below
