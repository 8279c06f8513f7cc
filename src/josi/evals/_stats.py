"""The statistics the verdict prints: rate intervals and paired tests on case outcomes.

Eval suites hold 16-205 cases, so every rate is printed with its count and a 95% Wilson
interval (which, unlike the normal approximation, stays inside [0, 1] and behaves at 0
and n). Two models on the same cases are compared on their discordant pairs only
(exact McNemar): b = passed before, failed now; c = failed before, passed now.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from math import comb

Z95 = 1.959963984540054
Z80 = 0.8416212335729143  # the one-sided normal quantile of 0.80
NON_INFERIORITY_POWER = 0.80  # an equally good model must pass at least this often


@dataclass(frozen=True)
class Interval:
    """A rate ``k / n`` with its 95% Wilson score interval."""

    k: int
    n: int
    low: float
    high: float

    @property
    def rate(self) -> float | None:
        return self.k / self.n if self.n else None

    def text(self) -> str:
        if not self.n:
            return "n=0"
        return f"{self.k}/{self.n} [{self.low:.2f}, {self.high:.2f}]"

    def to_dict(self) -> dict[str, float | int]:
        return {"k": self.k, "n": self.n, "low": round(self.low, 4), "high": round(self.high, 4)}


def wilson(k: int, n: int, z: float = Z95) -> Interval:
    """Wilson score interval for ``k`` successes in ``n`` trials (n = 0 gives [0, 1])."""
    if n < 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k} n={n}")
    if n == 0:
        return Interval(0, 0, 0.0, 1.0)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # At k = 0 or k = n the bound is exact; rounding must not move it off 0 or 1.
    return Interval(
        k, n, 0.0 if k == 0 else max(0.0, centre - half), 1.0 if k == n else min(1.0, centre + half)
    )


def _binomial_tail_at_least(b: int, n: int) -> float:
    """P(X >= b) for X ~ Binomial(n, 1/2)."""
    return sum(comb(n, i) for i in range(b, n + 1)) / 2**n


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value for discordant counts ``b`` and ``c``."""
    if b < 0 or c < 0:
        raise ValueError("discordant counts must be >= 0")
    n = b + c
    if n == 0:
        return 1.0
    return min(1.0, 2.0 * _binomial_tail_at_least(max(b, c), n))


def mcnemar_one_sided(regressed: int, fixed: int) -> float:
    """Exact one-sided McNemar p-value for "the new model is worse".

    Under no difference each discordant pair is a fair coin, so the chance of at least
    ``regressed`` pass->fail flips among ``regressed + fixed`` discordant pairs.
    """
    if regressed < 0 or fixed < 0:
        raise ValueError("discordant counts must be >= 0")
    n = regressed + fixed
    return 1.0 if n == 0 else _binomial_tail_at_least(regressed, n)


def min_discordant_for_significance(alpha: float, *, two_sided: bool = True) -> int:
    """Fewest flips, all in one direction, that the exact McNemar test calls significant."""
    k = 1
    while (mcnemar_exact(k, 0) if two_sided else mcnemar_one_sided(k, 0)) >= alpha:
        k += 1
    return k


def smallest_detectable_difference(n_paired: int, alpha: float) -> float | None:
    """The smallest pass-rate difference ``n_paired`` cases can show at ``alpha``.

    Reached only when every flip goes one way; any flip the other way needs more. None
    when even flipping every case is not enough.
    """
    k = min_discordant_for_significance(alpha)
    return None if k > n_paired or n_paired == 0 else k / n_paired


def paired_difference_interval(
    regressed: int, fixed: int, n: int, z: float = Z95
) -> tuple[float, float]:
    """95% interval of the paired rate difference (new - old) = (fixed - regressed) / n.

    The Wald interval for paired proportions with the Agresti-Min adjustment (add 0.5 to
    each cell), so it stays usable when no case flipped.
    """
    if n <= 0:
        raise ValueError("need at least one paired case")
    b, c, m = regressed + 0.5, fixed + 0.5, n + 2.0
    diff = (c - b) / m
    var = ((b + c) - (c - b) ** 2 / m) / m**2
    half = z * math.sqrt(max(var, 0.0))
    return max(-1.0, diff - half), min(1.0, diff + half)


def _normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def non_inferiority_power(margin: float, n: int, discordance: float, z: float = Z95) -> float:
    """Chance that a model exactly as good as its baseline passes the non-inferiority rule.

    The rule passes when the lower 95% bound of the paired difference is above ``-margin``.
    Between two equal models each case flips either way with total probability
    ``discordance``, so the difference is about normal with mean 0 and standard error
    sqrt(discordance / n): the lower bound clears ``-margin`` with probability
    Phi(margin * sqrt(n / discordance) - z).
    """
    if n <= 0:
        return 0.0
    return _normal_cdf(margin * math.sqrt(n / discordance) - z)


def smallest_supported_margin(n: int, discordance: float) -> float | None:
    """The smallest margin an equally good model clears with 80% probability on ``n`` cases."""
    if n <= 0:
        return None
    return (Z95 + Z80) * math.sqrt(discordance / n)
