"""The record of one case: what ran, what every scorer found, and the verdict.

A record separates two things. ``violations`` are guarantees the code gives no
matter what the model writes (a schema-valid request, tier rights, zone caps, red
flags, at most one question); every per-case test asserts there are none.
``scores`` holds each scorer result of the case by name; ``checks`` names those the
case expects to pass, and ``passed`` is their conjunction. The layers' aggregate
metrics are computed from ``scores`` (``josi.evals._metrics_registry``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from josi.evals._guarantees import ROUTE_CHECKS
from josi.scorers import Score


@dataclass
class CaseRecord:
    id: str
    layer: str
    run: str
    tags: list[str]
    lang: str
    persona: str
    message: str
    history: list[dict[str, str]] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)
    context_text: str = ""
    prompt: list[dict[str, str]] = field(default_factory=list)
    expected: dict[str, Any] = field(default_factory=dict)
    request: dict[str, Any] | None = None
    interpreter_raw: str = ""
    route: dict[str, Any] | None = None
    reply: str = ""
    reply_source: str = ""
    coach_ran: bool = False
    scores: dict[str, Score] = field(default_factory=dict)
    checks: list[str] = field(default_factory=list)
    # What the interpreter call showed besides its scores: the action distribution and the
    # confidence source served (josi.evals._action_dist).
    facts: dict[str, Any] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    passed: bool = False
    latency_s: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    peak_rss_kb: int = 0
    # Under the shipped sampler: did each seeded run pass (greedy ``passed`` is kept apart
    # as the reproducible reference); empty when the case ran greedily only.
    greedy_passed: bool | None = None
    samples: list[bool] = field(default_factory=list)
    sample_failures: list[str] = field(default_factory=list)

    def collect(self, *results: Score) -> None:
        """Keep scorer results by name; the metrics aggregate them."""
        self.scores.update((r.name, r) for r in results)

    def expect(self, *results: Score) -> None:
        """Keep scorer results the case's verdict depends on."""
        self.collect(*results)
        self.checks += [r.name for r in results]

    def judge(self) -> None:
        """The verdict: every check passed and no code guarantee broke."""
        self.passed = all(self.scores[name].passed for name in self.checks) and not self.violations

    @property
    def flaky(self) -> bool:
        """Some runs of this case pass and some fail (greedy and sampled together)."""
        outcomes = {*self.samples, *([] if self.greedy_passed is None else [self.greedy_passed])}
        return len(outcomes) > 1

    def add_samples(self, sampled: list[CaseRecord]) -> None:
        """Fold seeded runs of the same case in: it passes only if greedy and every seed pass."""
        if not sampled:
            return
        self.greedy_passed = self.passed
        self.samples = [s.passed for s in sampled]
        self.sample_failures = [
            f"seed {i}: {'; '.join(s.code_failures() + s.failures())[:300]}"
            for i, s in enumerate(sampled)
            if not s.passed
        ]
        self.violations += [
            f"seed {i}: {v}" for i, s in enumerate(sampled) for v in s.code_failures()
        ]
        self.passed = self.passed and all(self.samples)

    def to_dict(self) -> dict[str, Any]:
        # The document keeps scores as a list (each names itself) and checks with their
        # outcomes, so a reader of results.json needs no lookup.
        return dataclasses.asdict(self) | {
            "scores": [dataclasses.asdict(s) for s in self.scores.values()],
            "checks": [
                {
                    "name": name,
                    "passed": self.scores[name].passed,
                    "reason": self.scores[name].reason,
                }
                for name in self.checks
            ],
            "flaky": self.flaky,
        }

    def _failed(self, names: Any) -> list[str]:
        return [
            f"{name}: {self.scores[name].reason}" for name in names if not self.scores[name].passed
        ]

    def failures(self) -> list[str]:
        return self._failed(self.checks)

    def code_failures(self) -> list[str]:
        """Broken code guarantees: violations, and the case's own route checks that failed."""
        return list(self.violations) + self._failed(n for n in self.checks if n in ROUTE_CHECKS)

    def summary(self) -> str:
        lines = [f"case {self.id} ({self.layer}, {self.run})", f"  message: {self.message}"]
        if self.request is not None:
            lines.append(f"  request: {json.dumps(self.request, ensure_ascii=False)}")
        if self.route:
            lines.append(
                f"  route: action={self.route.get('action')} allowed={self.route.get('allowed')} "
                f"engine_call={self.route.get('engine_call')} zone_cap={self.route.get('zone_cap')}"
            )
        if self.reply:
            lines.append(f"  reply: {self.reply}")
        lines += [f"  violation: {v}" for v in self.violations]
        lines += [f"  failed: {f}" for f in self.failures()]
        lines += [f"  sampled run failed: {f}" for f in self.sample_failures]
        return "\n".join(lines)


def recorded_outcome(record: Mapping[str, Any], *, greedy: bool) -> bool:
    """A recorded case's outcome: as gated, or with ``greedy`` its greedy decoding's alone
    (a record that never sampled has no separate greedy outcome: its outcome is greedy)."""
    if greedy and record.get("greedy_passed") is not None:
        return bool(record["greedy_passed"])
    return bool(record["passed"])


def recorded_score(record: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    """The scorer result ``name`` of a record as the results document holds it (None: not
    scored)."""
    return next((s for s in record.get("scores", ()) if s["name"] == name), None)
