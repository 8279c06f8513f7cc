"""pytest plugin for the Josi model suites.

Model-backed tests (marker ``model``) run only when a model is asked for:
``--run-model`` (the nano Q4_K_M, built on demand by the pipeline), ``--josi-gguf PATH``,
or a ``-m`` expression that names ``model``. Otherwise they are deselected, so a
plain ``pytest`` needs no model and says how many it left out. When a model is
asked for and cannot be built or loaded, the run stops with an error.

Each model-backed case test hands a scored record to ``josi_record``; the record
travels on the test report (``user_properties``), so with pytest-xdist every
worker's records reach the controller, which merges them, computes the layer
aggregates, applies ``thresholds/<profile>.toml``, writes ``results.json`` and
``report.html`` and fails the session when a gate fails. Under ``--junitxml`` each case's
testcase carries ``josi_layer``, ``josi_case`` and, when it fails, ``josi_reason``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

_RECORD = "josi_record"


@dataclass
class _State:
    model_requested: bool
    profile: str
    report_dir: Path | None
    explicit_report: bool
    gguf: Path | None = None
    gguf_error: str | None = None
    deselected: int = 0
    records: list[dict[str, Any]] = field(default_factory=list)
    results: dict[str, Any] | None = None
    comparison: dict[str, Any] | None = None
    report_paths: dict[str, Path] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)


_STATE = pytest.StashKey[_State]()


# The markers the suites use, registered by the plugin so that a project installing josi
# and writing its own suites runs under --strict-markers without copying them.
MARKERS = {
    "model": "needs a GGUF model (session-scoped fixture, loaded once per worker)",
    "slow": "takes more than a few seconds",
    "train": "runs torch training or export on the tiny model",
    "schema": "layer 1, interpreter JSON validity and field accuracy",
    "contract": "layer 2, I6, tiers, zone caps, red flags, pushback",
    "quality": "layer 3, warmth, brevity, jargon, governor, language",
    "grounding": "layer 4, numbers only from the context",
    "memory": "layer 5, natural memory use",
    "confidence": "layer 6, calibration of the interpreter's confidence",
    "golden": "strict critical scenarios, any failure blocks",
    "gate": "aggregate thresholds per layer",
}

# (option, dest, deprecated spelling kept for one release)
_RENAMED = (
    ("--josi-gguf", "gguf", "--gguf"),
    ("--josi-compare", "compare", "--compare"),
    ("--josi-profile", "profile", "--profile"),
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("josi", "Josi model suites")
    group.addoption(
        "--run-model",
        action="store_true",
        default=False,
        help="run the model-backed suites on the default nano Q4_K_M (built on demand)",
    )
    helps = {
        "gguf": dict(
            metavar="PATH",
            default=None,
            help="run the model-backed suites on this GGUF (implies --run-model)",
        ),
        "compare": dict(
            metavar="PATH",
            default=None,
            help="a results.json (or its folder) to compare with, paired per case (McNemar)",
        ),
        "profile": dict(
            metavar="NAME",
            default="nano",
            help="thresholds/<NAME>.toml, or a model profile's thresholds (default: nano)",
        ),
    }
    for option, dest, old in _RENAMED:
        group.addoption(option, dest=dest, **helps[dest])
        # pytest-profiling owns --profile; the bare spellings stay as deprecated aliases.
        group.addoption(
            old,
            dest=f"{dest}_deprecated",
            metavar=helps[dest]["metavar"],
            default=None,
            help=f"deprecated spelling of {option}",
        )
    group.addoption(
        "--josi-endpoint",
        metavar="URL[,URL...]",
        default=None,
        help="run the model on OpenAI-compatible servers instead of in-process; with "
        "pytest-xdist worker gwN uses URL number N mod their count (docs/served.md). The GGUF "
        "(--josi-gguf, or the nano build) is still read here for its template and vocabulary",
    )
    group.addoption(
        "--josi-report",
        metavar="DIR",
        default=None,
        help="where results.json and report.html go (default: reports/<timestamp>)",
    )
    group.addoption(
        "--josi-baseline",
        metavar="PATH",
        default=None,
        help="per-case outcomes of the last shipped model to gate against "
        "(default: thresholds/<profile>.baseline.json when the profile is below target)",
    )
    group.addoption(
        "--josi-samples",
        metavar="K",
        type=int,
        default=3,
        help="golden and contract also run under the shipped sampler with K seeds; a case "
        "passes only if every seed passes (default 3; 0 runs greedy only)",
    )
    group.addoption(
        "--josi-n-gpu-layers",
        metavar="N",
        type=int,
        default=0,
        help="layers of the model under test offloaded to the GPU (-1: all; default 0, CPU); "
        "needs a llama-cpp-python built with a GPU backend",
    )
    group.addoption(
        "--josi-no-baseline",
        action="store_true",
        default=False,
        help="gate a below-target profile on its absolute figures, not its baseline",
    )


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _markexpr_selects_model(expr: str) -> bool:
    tokens = re.findall(r"\w+", expr or "")
    return any(
        tok == "model" and (i == 0 or tokens[i - 1] != "not") for i, tok in enumerate(tokens)
    )


def _apply_deprecated_spellings(config: pytest.Config) -> None:
    """Fold ``--gguf``/``--compare``/``--profile`` into their ``--josi-*`` names, with a warning."""
    for option, dest, old in _RENAMED:
        value = config.getoption(f"{dest}_deprecated", None)
        if value is None:
            continue
        config.issue_config_time_warning(
            pytest.PytestDeprecationWarning(f"{old} is deprecated; use {option}"), stacklevel=2
        )
        if config.getoption(dest) in (None, "nano"):
            setattr(config.option, dest, value)


def endpoints(config: pytest.Config) -> list[str]:
    """The ``--josi-endpoint`` URLs, in order (empty: the model runs in-process)."""
    value = config.getoption("josi_endpoint", None) or ""
    return [url.strip() for url in value.split(",") if url.strip()]


def worker_endpoint(urls: list[str], worker: str | None) -> str | None:
    """The endpoint of xdist worker ``gwN``: URL number N mod len(urls); the first without xdist."""
    if not urls:
        return None
    index = int(worker[2:]) if worker and worker.startswith("gw") and worker[2:].isdigit() else 0
    return urls[index % len(urls)]


def model_requested(config: pytest.Config) -> bool:
    return bool(
        config.getoption("run_model")
        or config.getoption("gguf")
        or endpoints(config)
        or _markexpr_selects_model(config.getoption("markexpr", ""))
    )


def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    _apply_deprecated_spellings(config)
    explicit = config.getoption("josi_report")
    if explicit:
        report_dir = Path(explicit)
    else:
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        report_dir = Path(config.rootpath) / "reports" / stamp
    state = _State(model_requested(config), config.getoption("profile"), report_dir, bool(explicit))
    config.stash[_STATE] = state
    if not _is_worker(config):
        config.pluginmanager.register(_Collector(state), "josi-collector")
    from josi._errors import JosiError
    from josi.evals import load_thresholds

    try:
        load_thresholds(state.profile)
    except JosiError as exc:
        raise pytest.UsageError(f"--josi-profile {state.profile}: {exc}") from exc
    gguf = config.getoption("gguf")
    if gguf and not Path(gguf).is_file():
        raise pytest.UsageError(f"--josi-gguf {gguf}: no such file")
    from josi.runtime import RuntimeConfig

    for url in endpoints(config):
        try:
            RuntimeConfig(gguf="endpoint", prompt_style="full", endpoint=url)
        except JosiError as exc:
            raise pytest.UsageError(f"--josi-endpoint {url}: {exc}") from exc
    if config.getoption("compare"):
        from josi.evals import load_results

        try:
            load_results(config.getoption("compare"))
        except JosiError as exc:
            raise pytest.UsageError(f"--josi-compare: {exc}") from exc
    if config.getoption("josi_samples") < 0:
        raise pytest.UsageError("--josi-samples must be >= 0")
    try:
        _baseline(config)
    except JosiError as exc:
        raise pytest.UsageError(f"--josi-baseline: {exc}") from exc


def _baseline(config: pytest.Config) -> Any:
    """The baseline a below-target profile is gated against, or None (absolute gates)."""
    if config.getoption("josi_no_baseline"):
        return None
    from josi._errors import ConfigError
    from josi.evals import baseline_path, load_baseline, load_thresholds

    explicit = config.getoption("josi_baseline")
    if explicit:
        baseline = load_baseline(Path(explicit))
        if baseline is None:
            raise ConfigError(f"{explicit}: no such file")
        return baseline
    thresholds = load_thresholds(config.stash[_STATE].profile)
    if not any(g.below_production for g in thresholds.gates):
        return None  # at production target every gate is absolute
    return load_baseline(baseline_path(thresholds.path))


def _resolve_gguf(config: pytest.Config) -> Path:
    explicit = config.getoption("gguf")
    if explicit:
        return Path(explicit).resolve()
    try:
        from josi.pipeline import default_gguf
    except ImportError as exc:
        raise RuntimeError(f"cannot build the default GGUF ({exc}); pass --josi-gguf PATH") from exc
    return Path(default_gguf()).resolve()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    state = config.stash[_STATE]
    if _is_worker(config):
        state.gguf = (
            Path(config.workerinput["josi_gguf"]) if config.workerinput.get("josi_gguf") else None
        )
        return
    if not state.model_requested or config.getoption("collectonly"):
        return
    # Resolve (and if needed build) once, before xdist starts its workers.
    try:
        state.gguf = _resolve_gguf(config)
    except Exception as exc:  # a missing model is never a skip
        pytest.exit(
            f"model suites requested but no GGUF could be built or found: {exc}",
            returncode=pytest.ExitCode.USAGE_ERROR,
        )
    if not state.gguf.is_file():
        pytest.exit(
            f"model suites requested but the GGUF does not exist: {state.gguf}",
            returncode=pytest.ExitCode.USAGE_ERROR,
        )


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    state = node.config.stash[_STATE]
    node.workerinput["josi_gguf"] = str(state.gguf) if state.gguf else ""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    state = config.stash[_STATE]
    if state.model_requested:
        return
    keep, drop = [], []
    for item in items:
        (drop if item.get_closest_marker("model") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
        state.deselected = len(drop)


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def josi_gguf(pytestconfig: pytest.Config) -> Path:
    """The GGUF under test (resolved once by the controller, shared with every worker)."""
    state = pytestconfig.stash[_STATE]
    if state.gguf is None:
        try:
            state.gguf = _resolve_gguf(pytestconfig)
        except Exception as exc:
            raise RuntimeError(
                f"the model suites need a GGUF and none could be built or found: {exc}"
            ) from exc
    return state.gguf


@pytest.fixture(scope="session")
def josi_runtime(josi_gguf: Path, pytestconfig: pytest.Config):
    """One loaded model per process (per xdist worker), greedy decoding for reproducibility;
    with ``--josi-endpoint``, the worker's server instead of a model in this process."""
    from josi.runtime import JosiRuntime

    endpoint = worker_endpoint(endpoints(pytestconfig), os.environ.get("PYTEST_XDIST_WORKER"))
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    threads = max(1, (os.cpu_count() or 1) // max(1, workers))
    gpu_layers = pytestconfig.getoption("josi_n_gpu_layers")
    runtime = JosiRuntime(
        eval_runtime_config(
            josi_gguf, n_threads=threads, n_gpu_layers=gpu_layers, endpoint=endpoint
        )
    )
    try:
        yield runtime
    finally:
        runtime.close()


@pytest.fixture(scope="session")
def josi_samplers(josi_runtime, pytestconfig: pytest.Config) -> list[Any]:
    """The shipped sampler with seeds 0..K-1 (``--josi-samples``), sharing the loaded model.

    Each call's seed mixes the base seed with the call's own prompt, so a case draws the
    same samples whatever ran before it and however xdist splits the cases.
    """
    k = pytestconfig.getoption("josi_samples")
    return [josi_runtime.with_config(deterministic=False, seed=seed) for seed in range(k)]


@pytest.fixture(scope="session")
def josi_thresholds(pytestconfig: pytest.Config):
    from josi.evals import load_thresholds

    return load_thresholds(pytestconfig.stash[_STATE].profile)


@pytest.fixture
def josi_verdict(josi_record, josi_thresholds):
    """Record a case, then pass, fail or xfail it on its own checks.

    ``samples`` are the same case's runs under the shipped sampler: the case passes only if
    greedy decoding and every seed pass. Code guarantees (violations, tier and zone-cap routes,
    red flags) fail the case for every model and every seed. The model's own checks fail it
    where one failure fails the layer's gate (``josi.evals.case_rule``); elsewhere a failing
    case is xfailed with its summary, so it is visible, and the layer's aggregate or paired gate
    decides at session end.
    """
    from josi.evals import case_rule

    def verdict(case_record: Any, samples: Any = ()) -> None:
        case_record.add_samples(list(samples))
        josi_record(case_record)
        broken = case_record.code_failures()
        assert not broken, case_record.summary()
        if case_record.passed:
            return
        strict, why = case_rule(josi_thresholds, case_record.layer)
        if not strict:
            pytest.xfail(f"{why}: {case_record.summary()}")
        pytest.fail(case_record.summary(), pytrace=False)

    return verdict


@pytest.fixture
def josi_record(request: pytest.FixtureRequest):
    """Call with a CaseRecord before asserting, so failing cases still count in the aggregates."""

    def record(case_record: Any) -> None:
        from josi.evals import case_reason

        payload = case_record.to_dict() if hasattr(case_record, "to_dict") else dict(case_record)
        payload["worker"] = os.environ.get("PYTEST_XDIST_WORKER", "main")
        request.node.user_properties.append((_RECORD, json.dumps(payload, ensure_ascii=False)))
        # What a CI test view shows per testcase (--junitxml writes user properties); the full
        # record stays out of it (_Collector takes it off the report).
        request.node.user_properties += [
            ("josi_layer", payload["layer"]),
            ("josi_case", payload["id"]),
        ]
        reason = case_reason(payload)
        if reason:
            request.node.user_properties.append(("josi_reason", reason))

    return record


# --- merging on the controller -----------------------------------------------------------


PARTIAL_RECORDS = "records.partial.jsonl"


class _Collector:
    """Gathers records from test reports; on the controller these include every worker's.

    Each record is also appended, flushed, to ``<report dir>/records.partial.jsonl`` as it
    arrives, so a run that is killed keeps every case it finished; the file goes once
    ``results.json`` is written.
    """

    def __init__(self, state: _State) -> None:
        self.state = state
        self._partial: Any = None

    def _stream(self, record: dict[str, Any]) -> None:
        if self.state.report_dir is None:
            return
        if self._partial is None:
            self.state.report_dir.mkdir(parents=True, exist_ok=True)
            path = self.state.report_dir / PARTIAL_RECORDS
            self._partial = open(path, "a", encoding="utf-8")  # noqa: SIM115 - kept open across hook calls; close() closes it
        self._partial.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._partial.flush()

    def close(self, *, finished: bool) -> None:
        if self._partial is not None:
            self._partial.close()
            self._partial = None
            if finished:
                (self.state.report_dir / PARTIAL_RECORDS).unlink(missing_ok=True)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        records = [value for key, value in report.user_properties if key == _RECORD]
        if not records:
            return
        # The record is a few kilobytes of prompt and context that results.json already keeps;
        # taken off before --junitxml (which runs later) copies every user property per testcase.
        report.user_properties = [(k, v) for k, v in report.user_properties if k != _RECORD]
        if report.when != "call":
            return
        for value in records:
            record = json.loads(value) if isinstance(value, str) else value
            self.state.records.append(record)
            self._stream(record)


def eval_runtime_config(
    gguf: Path, n_threads: int | None = None, n_gpu_layers: int = 0, endpoint: str | None = None
):
    """The reference runtime of every model suite: greedy, otherwise the shipped defaults.

    Golden and contract also run under the shipped sampler (``josi_samplers``). Every
    interpreter call is also scored over the five actions, so a run reports what the shipped
    sampler would do and both confidence sources next to the greedy result; a served model
    (``endpoint``) exposes no logits, so its runs are not scored.
    """
    from josi.runtime import RuntimeConfig

    return RuntimeConfig(
        gguf=gguf,
        deterministic=True,
        seed=0,
        n_threads=n_threads,
        n_gpu_layers=n_gpu_layers,
        score_actions=endpoint is None,
        endpoint=endpoint,
    )


def _runtime_info(path: Path) -> dict[str, Any]:
    """The decoding settings behind the results, so a changed default shows up in the record."""
    from josi._errors import JosiError

    try:
        config = eval_runtime_config(path)
    except JosiError as exc:
        return {"error": str(exc)}
    return {
        name: (str(value) if isinstance(value, Path) else value)
        for name, value in dataclasses.asdict(config).items()
        if name not in ("gguf", "n_threads", "n_gpu_layers")
    }


def _sampling_info(config: pytest.Config) -> dict[str, Any]:
    from josi.runtime import RuntimeConfig

    shipped = RuntimeConfig.__dataclass_fields__
    return {
        "samples": config.getoption("josi_samples"),
        "interpreter_temperature": shipped["interpreter_temperature"].default,
        "coach_temperature": shipped["coach_temperature"].default,
        "top_p": shipped["top_p"].default,
    }


def _gguf_info(path: Path | None) -> dict[str, Any]:
    if path is None or not path.is_file():
        return {"gguf": str(path) if path else None}
    info: dict[str, Any] = {"gguf": str(path), "gguf_size": path.stat().st_size}
    manifest = path.with_name(path.name + ".manifest.json")
    if manifest.is_file():
        try:
            info["manifest"] = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            info["manifest"] = "unreadable"
    info["runtime"] = _runtime_info(path)
    return info


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if _is_worker(config):
        return
    state = config.stash[_STATE]
    if not state.records:
        return
    from josi.evals import (
        LAYERS,
        build_results,
        compare_results,
        load_cases,
        load_results,
        load_thresholds,
        write_report,
    )

    thresholds = load_thresholds(state.profile)
    layers = {r["layer"] for r in state.records}
    case_ids = {layer: [c.id for c in load_cases(layer)] for layer in LAYERS if layer in layers}
    run = _gguf_info(state.gguf) | {
        "wall_s": round(time.monotonic() - state.started, 1),
        "workers": len({r.get("worker", "main") for r in state.records}),
        "args": list(config.invocation_params.args),
        # The tests' own status; the gates below can still fail the session ("exitstatus").
        "tests_exitstatus": int(exitstatus),
        "sampling": _sampling_info(config),
        "endpoints": endpoints(config),
    }
    state.results = build_results(
        state.records, thresholds=thresholds, case_ids=case_ids, run=run, baseline=_baseline(config)
    )
    if config.getoption("compare"):
        baseline = load_results(config.getoption("compare"))
        state.comparison = compare_results(baseline, state.results, alpha=thresholds.compare_alpha)
        state.results["comparison"] = {k: v for k, v in state.comparison.items() if k != "layers"}
    failed = bool(state.results["gates_failed"]) or bool(
        state.comparison and state.comparison["significant_regression"]
    )
    if failed and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    # What the session exits with, gates included: the verdict a results file records.
    state.results["run"]["exitstatus"] = int(session.exitstatus)
    if state.report_dir is not None:
        state.report_paths = write_report(state.results, state.report_dir, state.comparison)
    collector = config.pluginmanager.get_plugin("josi-collector")
    if collector is not None:
        collector.close(finished=state.report_dir is not None)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if _is_worker(config):
        return
    state = config.stash[_STATE]
    if state.deselected:
        terminalreporter.write_sep("-", "josi")
        terminalreporter.write_line(
            f"{state.deselected} model-backed tests deselected: "
            "add --run-model (nano GGUF, built on demand) "
            "or --josi-gguf PATH to run them"
        )
    if state.results is None:
        return
    from josi.evals import format_comparison, terminal_summary

    terminalreporter.write_sep("=", "josi eval summary")
    for line in terminal_summary(state.results):
        markup = {"red": True} if line.startswith(("GATES FAILED", "FAIL")) else {}
        terminalreporter.write_line(line, **markup)
    if state.comparison:
        terminalreporter.write_sep("-", "josi compare")
        for line in format_comparison(state.comparison).splitlines():
            terminalreporter.write_line(line)
    for kind, path in state.report_paths.items():
        terminalreporter.write_line(f"{kind} report: {path}")
