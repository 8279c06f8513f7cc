"""Josi's sessions. Every stage runs in one shared environment (.nox/josi) so the
chain train -> export -> test installs torch and builds llama-cpp-python once.

    nox -s tests            unit tests + every model suite on the cached `nano` build
    nox -s ship             data -> train -> export -> all layers -> publish to dist/
    nox -s data|train|export|bench|grammar   single stages (posargs are forwarded)

Expensive stages are content-addressed by `josi pipeline`, so re-running a
session with the same inputs reuses its artifacts instead of retraining.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import nox

nox.needs_version = ">=2025.2"  # nox.project.dependency_groups
nox.options.sessions = ["lint", "tests"]
nox.options.default_venv_backend = "none"

ROOT = Path(__file__).resolve().parent
ENV = ROOT / ".nox" / "josi"
STAMP = ENV / ".josi-install-stamp"
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")


def _bin(name: str) -> str:
    return str(ENV / ("Scripts" if sys.platform == "win32" else "bin") / name)


def _install_stamp() -> str:
    # Reinstall when the declared dependencies change, not on every source edit
    # (the package is installed editable).
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def _env(session: nox.Session) -> dict[str, str]:
    """Create or refresh the shared environment; return the variables to run in it."""
    if not STAMP.exists() or STAMP.read_text() != _install_stamp():
        python = os.environ.get("JOSI_PYTHON", sys.executable)
        session.run(python, "-m", "venv", "--clear", str(ENV), external=True)
        session.run(_bin("python"), "-m", "pip", "install", "-q", "--upgrade", "pip", external=True)
        # torch first, pinned: it takes the CPU build on disk, never an open-range CUDA build.
        torch_pin = next(
            d
            for d in PYPROJECT["project"]["optional-dependencies"]["train"]
            if d.startswith("torch")
        )
        session.run(_bin("python"), "-m", "pip", "install", "-q", torch_pin, external=True)
        # llama-cpp-python builds from source; its multimodal library (mtmd) is never loaded
        # here, and leaving it out takes about a tenth off the build (264 s against 300 s).
        cmake_args = f"{os.environ.get('CMAKE_ARGS', '')} -DLLAVA_BUILD=OFF".strip()
        session.run(
            _bin("python"),
            "-m",
            "pip",
            "install",
            "-q",
            "-e",
            f"{ROOT}[all]",
            env={"CMAKE_ARGS": cmake_args},
            external=True,
        )
        STAMP.write_text(_install_stamp())
    env = {
        "VIRTUAL_ENV": str(ENV),
        "PATH": f"{Path(_bin('python')).parent}{os.pathsep}{os.environ['PATH']}",
    }
    env.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    return env


@nox.session
def dev(session: nox.Session) -> None:
    """Create the shared environment only (.nox/josi)."""
    _env(session)
    session.log(f"environment ready: source {ENV}/bin/activate")


@nox.session
def tests(session: nox.Session) -> None:
    """Unit tests, then every model suite on the `nano` Q4_K_M (built on demand, cached)."""
    env = _env(session)
    args = session.posargs or ["-n", "2"]
    session.run(_bin("python"), "-m", "pytest", "--run-model", *args, env=env, external=True)


@nox.session(venv_backend="venv")
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check, with the ruff pinned in pyproject's lint group."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("ruff", "check", *(session.posargs or ["."]))
    session.run("ruff", "format", "--check", *(session.posargs or ["."]))


@nox.session(default=False)
def grammar(session: nox.Session) -> None:
    """Regenerate grammars/gatc_request.gbnf from the schema (`-- --check` to verify)."""
    env = _env(session)
    session.run(_bin("josi"), "grammar", "generate", *session.posargs, env=env, external=True)


@nox.session(default=False)
def data(session: nox.Session) -> None:
    """Build the dataset (deterministic, cached by content)."""
    env = _env(session)
    session.run(
        _bin("josi"),
        "pipeline",
        "build",
        "--until",
        "data",
        *session.posargs,
        env=env,
        external=True,
    )


@nox.session(default=False)
def train(session: nox.Session) -> None:
    """Data -> SFT (and DPO when the profile enables it); reuses a finished identical run."""
    env = _env(session)
    session.run(
        _bin("josi"),
        "pipeline",
        "build",
        "--until",
        "train",
        *session.posargs,
        env=env,
        external=True,
    )


@nox.session(default=False)
def export(session: nox.Session) -> None:
    """Train (cached) -> merge -> GGUF F16 -> Q4_K_M + adapter GGUF + manifests."""
    env = _env(session)
    session.run(
        _bin("josi"),
        "pipeline",
        "build",
        "--until",
        "export",
        *session.posargs,
        env=env,
        external=True,
    )


@nox.session(default=False)
def ship(session: nox.Session) -> None:
    """The release gate: build, run every layer on the Q4_K_M (compared with its F16),
    publish GGUF, adapter, manifests and report to dist/ only if pytest exits 0."""
    env = _env(session)
    session.run(_bin("josi"), "pipeline", "ship", *session.posargs, env=env, external=True)


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Benchmarks on the cached `nano` Q4_K_M; results as JSON under benchmarks/results/."""
    env = _env(session)
    session.run(_bin("python"), "-m", "benchmarks.run", *session.posargs, env=env, external=True)
