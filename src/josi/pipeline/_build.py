"""The end-to-end chain: data -> train -> export, content-addressed.

Every stage's output lives in the cache under a key derived from everything that
determines it (inputs' hashes, the profile's config, the code of the stage and
the library versions). A finished stage writes a `DONE.json` last, atomically;
a stage without it is treated as absent and rebuilt (a killed run resumes from
its own checkpoints). A file lock keeps concurrent callers (pytest-xdist
workers, two terminals) from building the same thing twice.
"""

from __future__ import annotations

import ast
import dataclasses
import fcntl
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from josi._errors import ConfigError, JosiError
from josi._io import atomic_write_json, sha256_file
from josi._libraries import installed_versions
from josi._resources import cache_dir, resource_dir

STAGES = ("data", "train", "export")
# Set to "1" to keep a bfloat16 profile in bfloat16 on a CPU that has no bfloat16 kernels.
SLOW_BFLOAT16 = "JOSI_ALLOW_SLOW_BFLOAT16"
_DONE = "DONE.json"
_PACKAGE_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class BuildResult:
    profile: str
    data_dir: Path | None = None
    adapter_dir: Path | None = None
    export_dir: Path | None = None
    artifacts: dict[str, Path] = field(default_factory=dict)

    def gguf(self, quant: str = "Q4_K_M") -> Path:
        try:
            return self.artifacts[quant]
        except KeyError:
            raise JosiError(
                f"no {quant} GGUF in this build; have {sorted(self.artifacts)}"
            ) from None


def _hash_tree(
    digest: Any, root: Path, names_from: Path, skip: frozenset[str] = frozenset()
) -> None:
    """Feed every file under ``root`` (name relative to ``names_from``, then content hash) to
    ``digest``."""
    files = (
        sorted(
            p
            for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.name not in skip
        )
        if root.is_dir()
        else [root]
    )
    for path in files:
        digest.update(str(path.relative_to(names_from)).encode())
        digest.update(sha256_file(path).encode())


def _tree_hash(paths: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    for root in paths:
        _hash_tree(digest, root, root.parent)
    return digest.hexdigest()


def stage_code(package: str) -> list[Path]:
    """The source of ``josi.<package>`` and of every josi module it imports, transitively.

    A stage's output depends on more than its own package: the dataset's noise check calls
    the post-processor and the language detector, and training renders prompts through
    ``josi.prompting``. Following the imports (``import`` statements anywhere in a module,
    including function bodies) keeps a stage's key from going stale when a helper it calls
    changes, without listing dependencies by hand.
    """
    todo = [package]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for source in _module_files(name):
            for node in ast.walk(
                ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
            ):
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                elif isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                else:
                    continue
                todo.extend(m.split(".")[1] for m in modules if m.startswith("josi."))
    return [path for name in sorted(seen) for path in _module_paths(name)]


def _module_paths(name: str) -> list[Path]:
    package, module = _PACKAGE_DIR / name, _PACKAGE_DIR / f"{name}.py"
    return [path for path in (package, module) if path.exists()]


def _module_files(name: str) -> list[Path]:
    files: list[Path] = []
    for path in _module_paths(name):
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return files


def base_fingerprint(base: Path | str) -> str:
    """What the base weights are, for the train key.

    A local checkpoint is its files, named relative to the checkpoint, without the conversion
    marker: the marker records the absolute path of the GGUF it came from, which differs
    between environments that hold the same weights. A Hub id stands for itself; the
    profile's training hash covers its pinned revision.
    """
    if isinstance(base, str):
        return f"hub:{base}"
    from josi.training import BASE_MARKER

    digest = hashlib.sha256()
    _hash_tree(digest, base, base, frozenset({BASE_MARKER}))
    return digest.hexdigest()


def _contract_files() -> list[Path]:
    """The system prompts (rendered into every example) and the schemas (which order every
    target)."""
    return [resource_dir("prompts"), resource_dir("schemas")]


def _key(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


@contextmanager
def _locked(name: str) -> Iterator[None]:
    lock_path = cache_dir() / "locks" / f"{name}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _done(stage_dir: Path) -> dict | None:
    marker = stage_dir / _DONE
    if not marker.is_file():
        return None
    try:
        return json.loads(marker.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return None


def _finish(stage_dir: Path, record: dict) -> None:
    atomic_write_json(
        stage_dir / _DONE,
        {**record, "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
    )


def build(
    profile_name: str = "nano",
    overrides: Sequence[str] = (),
    *,
    until: str = "export",
    log: Callable[[str], None] = print,
) -> BuildResult:
    """Run the chain up to `until`, reusing every stage whose inputs are unchanged."""
    if until not in STAGES:
        raise ConfigError(f"--until must be one of {STAGES}, got {until!r}")
    from josi.training import load_profile

    profile = load_profile(profile_name, overrides)
    root = cache_dir() / "builds" / profile.name
    with _locked(f"build-{profile.name}"):
        data_dir = _data_stage(profile, root, log)
        if until == "data":
            return BuildResult(profile.name, data_dir=data_dir)
        # The profile that trained: its number format may differ from the one asked for, and
        # the export's manifest names the recipe the weights came from.
        adapter_dir, train_key, profile = _train_stage(profile, root, data_dir, log)
        if until == "train":
            return BuildResult(profile.name, data_dir=data_dir, adapter_dir=adapter_dir)
        export_dir, artifacts = _export_stage(profile, root, adapter_dir, train_key, log)
        return BuildResult(profile.name, data_dir, adapter_dir, export_dir, artifacts)


def _data_stage(profile, root: Path, log) -> Path:
    from josi.data import BuildConfig, write_dataset

    seed = profile.data.seed
    key = _key(
        "data",
        seed,
        profile.data,
        _tree_hash([*stage_code("data"), *_contract_files(), *_data_inputs(profile)]),
    )
    out = root / f"data-{key}"
    if _done(out):
        log(f"[data] reusing {out}")
        return out
    log(f"[data] building into {out}")
    started = time.monotonic()
    config = BuildConfig(
        seed=seed,
        engine_result_share=profile.data.engine_result_share,
        athlete_message_copies=profile.data.athlete_message_copies,
    )
    write_dataset(out, config)
    _finish(out, {"stage": "data", "key": key, "seconds": round(time.monotonic() - started, 1)})
    return out


def _data_inputs(profile) -> list[Path]:
    """The files a dataset reads besides its code: with athlete-written rows, the requests and
    the gate cases whose messages they leave out."""
    if not profile.data.athlete_message_copies:
        return []
    from josi.data import written_requests_path
    from josi.evals import cases_dir

    return [written_requests_path(), cases_dir()]


def train_key(profile, dataset_sha256: str, base: Path | str) -> str:
    """The cache key of a training run: data, recipe, the code that renders and trains, base,
    libraries."""
    return _key(
        "train",
        dataset_sha256,
        profile.training_hash(),
        _tree_hash([*stage_code("training"), *_contract_files()]),
        base_fingerprint(base),
        installed_versions(),
    )


def bfloat16_is_slow_here() -> bool:
    """Whether training in bfloat16 here runs through torch's reference kernels: no GPU, and a
    CPU without AVX-512 BF16 or AMX. False when this torch cannot tell."""
    from josi._lazy import require

    torch = require("torch")
    if torch.cuda.is_available():
        return False
    try:
        return not torch.ops.mkldnn._is_mkldnn_bf16_supported()
    except (AttributeError, RuntimeError):
        return False


def trains_in_float32_here(profile) -> bool:
    """Whether a bfloat16 profile trains in float32 on this machine: a CPU whose bfloat16 matrix
    products run through torch's reference kernels (no AVX-512 BF16 or AMX). On such a CPU (2-core
    AVX2) nano's build logged 6.0 tokens/s over its first steps in bfloat16 and 85.7 in float32,
    against 110-300 in bfloat16 on CPUs with those kernels: ten hours or more for a recipe sized
    for 20 minutes, against 34 minutes measured in float32. Float32 trains another model, so it
    gets its own train key; a cached bfloat16 build is still reused first.
    Lives here, not in josi.training, so that the choice is no part of any stage's code key."""
    if profile.model.dtype != "bfloat16" or os.environ.get(SLOW_BFLOAT16) == "1":
        return False
    return bfloat16_is_slow_here()


def in_float32(profile):
    """The profile with its weights trained in float32 (every other knob as it was)."""
    return dataclasses.replace(profile, model=dataclasses.replace(profile.model, dtype="float32"))


def _train_stage(profile, root: Path, data_dir: Path, log) -> tuple[Path, str, Any]:
    from josi.data import dataset_hash
    from josi.training import ensure_base_checkpoint, train_dpo, train_sft

    base = ensure_base_checkpoint(profile)
    dataset = dataset_hash(data_dir)
    key = train_key(profile, dataset, base)
    out = root / f"train-{key}"
    if not _done(out) and trains_in_float32_here(profile):
        log(
            f"[train] this CPU has no bfloat16 kernels (AVX-512 BF16 or AMX), so {profile.name!r} "
            f"trains in float32: another model than a bfloat16 build, under its own key "
            f"({SLOW_BFLOAT16}=1 keeps bfloat16, about 14x slower here)"
        )
        profile = in_float32(profile)
        key = train_key(profile, dataset, base)
        out = root / f"train-{key}"
    if _done(out):
        log(f"[train] reusing {out}")
        return Path(_done(out)["adapter_dir"]), key, profile
    log(f"[train] SFT into {out} (resumes from its last checkpoint if one exists)")
    started = time.monotonic()
    adapter = train_sft(profile, data_dir, out / "sft")
    if profile.dpo.enabled:
        log("[train] DPO from the SFT adapter")
        adapter = train_dpo(profile, data_dir, adapter, out / "dpo")
    _finish(
        out,
        {
            "stage": "train",
            "key": key,
            "adapter_dir": str(adapter),
            "seconds": round(time.monotonic() - started, 1),
        },
    )
    return adapter, key, profile


def _export_stage(
    profile, root: Path, adapter_dir: Path, train_key: str, log
) -> tuple[Path, dict[str, Path]]:
    from josi.export import export

    key = _key(
        "export",
        train_key,
        profile.export,
        _tree_hash([*stage_code("export"), *_contract_files()]),
        installed_versions(),
    )
    out = root / f"export-{key}"
    record = _done(out)
    if record:
        log(f"[export] reusing {out}")
        return out, {q: Path(p) for q, p in record["artifacts"].items()}
    log(f"[export] merge -> GGUF -> {', '.join(profile.export.quants)} into {out}")
    started = time.monotonic()
    paths = export(profile, adapter_dir, out)
    artifacts = _classify(paths)
    _finish(
        out,
        {
            "stage": "export",
            "key": key,
            "artifacts": {q: str(p) for q, p in artifacts.items()},
            "seconds": round(time.monotonic() - started, 1),
        },
    )
    return out, artifacts


def _classify(paths: Sequence[Path]) -> dict[str, Path]:
    """Name each exported GGUF by its role: a quant type, 'adapter', or either with '.v2'.

    The '.v2' copies (GGUF v2 headers for old Android runtimes) carry the same tensors
    under another key, so asking for "Q4_K_M" never silently returns a patched copy.
    """
    out: dict[str, Path] = {}
    for path in paths:
        if path.suffix != ".gguf":
            continue
        stem = path.stem.lower()
        suffix = ""
        if stem.endswith(".v2"):
            stem, suffix = stem[: -len(".v2")], ".v2"
        if "adapter" in stem or "lora" in stem:
            out["adapter" + suffix] = path
            continue
        for quant in ("Q4_K_M", "Q8_0", "F16", "F32", "Q4_0", "Q5_K_M", "Q6_K"):
            if stem.endswith(quant.lower()):
                out[quant + suffix] = path
                break
    return out


def default_gguf(profile_name: str = "nano", quant: str | None = None) -> Path:
    """The GGUF the test suites use by default: the profile's shipped quant, built on demand.

    Honours JOSI_GGUF so a caller (CI, a bake-off) can point every suite at one file.
    """
    override = os.environ.get("JOSI_GGUF")
    if override:
        return Path(override)
    if quant is None:
        from josi.training import load_profile

        quant = load_profile(profile_name).export.ship
    return build(profile_name, until="export").gguf(quant)
