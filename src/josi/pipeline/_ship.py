"""The release gate: a model is published only if pytest exits 0 on it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from josi._errors import JosiError
from josi._io import atomic_write_json
from josi._resources import repo_root
from josi.pipeline._build import build


def _update_baseline(profile: str, report: Path, log: Callable[[str], None]) -> None:
    """A passing ship's per-case outcomes become the profile's baseline (thresholds/)."""
    from josi.evals import baseline_path, load_results, load_thresholds, write_baseline

    path = write_baseline(load_results(report), baseline_path(load_thresholds(profile).path))
    log(f"[ship] baseline updated: {path}")


def _report_quant_gaps(
    result: Any,
    ship_quant: str,
    reference_report: Path,
    staging: Path,
    reference_cmd: list[str],
    *,
    root: Path,
    log: Callable[[str], None],
) -> None:
    """Where the shipped quant is measurably worse than F16, run the profile's other quants
    through the same greedy suites and say which closes the gap (``quant-gap.json``)."""
    from josi.evals import load_results, load_thresholds
    from josi.pipeline._quant_gap import format_gap_report, gap_report, gaps
    from josi.training import QUANTS

    shipped_results = staging / "report" / "results.json"
    if not shipped_results.is_file():
        return
    reference = load_results(reference_report / "results.json")
    shipped = load_results(shipped_results)
    alpha = load_thresholds(result.profile).compare_alpha
    others: dict[str, Any] = {}
    if gaps(reference, shipped, alpha):
        for quant, path in sorted(result.artifacts.items()):
            if quant in (ship_quant, "F16") or quant not in QUANTS:
                continue  # the adapter and GGUF v2 copies are not quants to measure
            report = staging / f"report-{quant.lower()}"
            cmd = [*reference_cmd[: reference_cmd.index("--josi-gguf")], "--josi-gguf", str(path)]
            cmd += ["--josi-samples", "0", "--josi-report", str(report)]
            log(f"[ship] measuring {quant} against F16: " + " ".join(cmd))
            subprocess.call(cmd, cwd=root)
            if (report / "results.json").is_file():
                others[quant] = load_results(report / "results.json")
    summary = gap_report(ship_quant, reference, shipped, others, alpha)
    atomic_write_json(staging / "report" / "quant-gap.json", summary)
    for line in format_gap_report(summary):
        log(line)


def reference_markexpr() -> str:
    """The pytest marker expression of the F16 reference run: the model-backed tests of the
    eval layers, the ones whose per-case outcomes the gate pairs with the shipped quant's."""
    from josi.evals import LAYERS

    return "model and (" + " or ".join(LAYERS) + ")"


def ship(
    profile_name: str = "nano",
    overrides: Sequence[str] = (),
    *,
    dist: Path | None = None,
    pytest_args: Sequence[str] = (),
    log: Callable[[str], None] = print,
) -> int:
    """Build, gate the profile's shipped quant (compared with its F16) with every suite, publish on
    success."""
    started = time.monotonic()
    dist = Path(dist) if dist is not None else (repo_root() or Path.cwd()) / "dist"
    result = build(profile_name, overrides, until="export", log=log)
    from josi.training import load_profile

    ship_quant = load_profile(profile_name, overrides).export.ship
    shipped = result.gguf(ship_quant)
    reference = result.gguf("F16")
    name = f"{result.profile}-{result.export_dir.name.removeprefix('export-')}"
    staging = dist / f".{name}.staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    root = repo_root()
    if root is None:
        raise JosiError(
            "the ship gate runs the repository's test suites: run it from a josi checkout"
        )
    # Explicit config and rootdir: path-like option values must not move pytest's rootdir.
    workers = str(min(os.cpu_count() or 1, 4))
    base = [
        sys.executable,
        "-m",
        "pytest",
        "-c",
        str(root / "pyproject.toml"),
        "--rootdir",
        str(root),
        "-n",
        workers,
        "--josi-profile",
        result.profile,
        *pytest_args,
    ]
    # Post-quantization regression: the F16 is measured first (its own gates are
    # informational here), then the shipped quant is gated and compared with it per case.
    reference_report = staging / "report-f16"
    # The quant is compared with its F16 on greedy outcomes, so the reference runs greedy only,
    # and only the suites that record cases: the runtime's own model tests compare nothing.
    reference_cmd = [
        *base,
        "-m",
        reference_markexpr(),
        "--josi-gguf",
        str(reference),
        "--josi-samples",
        "0",
        "--josi-report",
        str(reference_report),
    ]
    log("[ship] reference run: " + " ".join(reference_cmd))
    subprocess.call(reference_cmd, cwd=root)
    if not (reference_report / "results.json").is_file():
        log("[ship] the F16 reference run wrote no results; nothing published")
        return 1
    # Its summary prints the F16's own gate lines, "GATES FAILED" among them; none of them decides.
    log("[ship] the F16 reference is measured, not gated: the Q4_K_M's gate below decides")
    gate_cmd = [
        *base,
        "--josi-gguf",
        str(shipped),
        "--josi-compare",
        str(reference_report / "results.json"),
        "--josi-report",
        str(staging / "report"),
    ]
    log("[ship] gate: " + " ".join(gate_cmd))
    code = subprocess.call(gate_cmd, cwd=root)
    _report_quant_gaps(
        result, ship_quant, reference_report, staging, reference_cmd, root=root, log=log
    )
    if code != 0:
        log(f"[ship] pytest exited {code}: nothing published (reports kept in {staging})")
        return code
    for role in (ship_quant, "adapter"):
        path = result.artifacts.get(role)
        if path is None:
            continue
        shutil.copy2(path, staging / path.name)
        manifest = path.with_name(path.name + ".manifest.json")
        if manifest.exists():
            shutil.copy2(manifest, staging / manifest.name)
    _update_baseline(result.profile, staging / "report", log)
    final = dist / name
    if final.exists():
        shutil.rmtree(final)
    staging.rename(final)
    atomic_write_json(
        dist / f"{result.profile}-latest.json",
        {
            "profile": result.profile,
            "dir": final.name,
            "gguf": shipped.name,
            "seconds": round(time.monotonic() - started, 1),
        },
    )
    log(f"[ship] published {final} in {time.monotonic() - started:.0f}s")
    return 0
