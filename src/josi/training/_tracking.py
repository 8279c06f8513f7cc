"""Local run records: every run leaves config, data hash, metrics curve and throughput.

``<out>/metrics.jsonl`` gets one line per logging/eval event (appended, so a
resumed run continues the same curve); ``<out>/run.json`` is rewritten atomically
at the end. Weights & Biases is used in addition when configured, never required.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

from josi._io import atomic_write_json
from josi._lazy import require


def wandb_enabled(profile_wandb: bool) -> bool:
    if not (profile_wandb or os.environ.get("WANDB_PROJECT")):
        return False
    try:
        require("wandb")
    except ImportError:
        return False
    return True


def versions() -> dict[str, str]:
    """Python and the installed libraries that shape the weights (``josi._libraries``)."""
    from josi._libraries import ABSENT, installed_versions

    installed = {name: v for name, v in installed_versions().items() if v != ABSENT}
    return {"python": platform.python_version(), **installed}


def make_callbacks(out_dir: Path, *, max_minutes: float) -> list[Any]:
    """Trainer callbacks: metrics curve + tokens/s, and an optional wall-clock stop."""
    transformers = require("transformers")

    class RunRecorder(transformers.TrainerCallback):
        def __init__(self) -> None:
            self.path = out_dir / "metrics.jsonl"
            self.started = time.monotonic()
            self.tokens_at_start = 0
            self.last: dict[str, Any] = {}

        def on_train_begin(self, args, state, control, **kwargs):
            self.started = time.monotonic()
            self.tokens_at_start = int(state.num_input_tokens_seen or 0)

        def on_log(self, args, state, control, logs=None, **kwargs):
            elapsed = time.monotonic() - self.started
            tokens = int(state.num_input_tokens_seen or 0) - self.tokens_at_start
            row = {
                "step": state.global_step,
                "epoch": state.epoch,
                "elapsed_s": round(elapsed, 2),
                "tokens_per_s": round(tokens / elapsed, 2) if elapsed > 0 else None,
                **(logs or {}),
            }
            self.last = row
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(row) + "\n")

        def summary(self) -> dict[str, Any]:
            elapsed = time.monotonic() - self.started
            return {"train_seconds": round(elapsed, 1), "last_log": self.last}

    class WallClockStop(transformers.TrainerCallback):
        """Stops (and saves) at the time budget; the best checkpoint is still restored."""

        def __init__(self) -> None:
            self.deadline = 0.0
            self.fired = False

        def on_train_begin(self, args, state, control, **kwargs):
            self.deadline = time.monotonic() + max_minutes * 60.0

        def on_step_end(self, args, state, control, **kwargs):
            if max_minutes > 0 and time.monotonic() >= self.deadline and not self.fired:
                self.fired = True
                control.should_training_stop = True
                control.should_evaluate = True
                control.should_save = True
            return control

    callbacks: list[Any] = [RunRecorder()]
    if max_minutes > 0:
        callbacks.append(WallClockStop())
    return callbacks


def write_run_record(out_dir: Path, record: dict[str, Any]) -> Path:
    record = {
        "written_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "versions": versions(),
        **record,
    }
    return atomic_write_json(out_dir / "run.json", record)


def read_curve(out_dir: Path) -> list[dict[str, Any]]:
    path = out_dir / "metrics.jsonl"
    if not path.is_file():
        return []
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
