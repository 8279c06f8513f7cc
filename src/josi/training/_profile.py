"""Training profiles: one TOML per base model, loaded into frozen dataclasses.

Overrides are ``dotted.key=value`` strings parsed to the type of the field they
replace, so ``sft.max_steps=20`` or ``lora.target_modules=[q_proj,v_proj]`` work
from the command line. An unknown key is a ConfigError, never silently ignored.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import tomllib
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from josi._errors import ConfigError
from josi._io import read_text
from josi._resources import resource_dir
from josi.training._data import DATA_MODES

DTYPES = ("float32", "bfloat16", "float16")
MODES = ("joint", "interpreter", "coach", "both")
PROMPT_STYLES = ("full", "compact")
SAMPLINGS = ("random", "group_by_length", "length_buckets")
# Where a served request's confidence comes from (josi.runtime.RuntimeConfig.confidence_source):
# the number the model wrote, or the probability of the action it chose.
CONFIDENCE_SOURCES = ("self", "action_probability")
QUANTS = ("Q4_K_M", "Q8_0", "F16", "Q5_K_M", "Q4_0", "Q5_1")
# Quants whose every matrix, the token embedding and output head included, gets that one type.
# Q5_1 has no batched (GEMM) kernel on CPU, so llama.cpp computes a position's logits the same
# way alone and inside a batch (docs/architecture.md, "Jump-forward decoding").
UNIFORM_QUANTS = ("Q5_1",)


@dataclass(frozen=True)
class ModelSection:
    base: str
    revision: str = ""
    family: str = "llama"
    dtype: str = "float32"
    qlora_on_cuda: bool = False
    context_length: int = 4096
    output_budget: int = 300
    pad_token: str = ""
    enable_thinking: bool | None = None
    trust_remote_code: bool = False


@dataclass(frozen=True)
class LoraSection:
    r: int = 16
    alpha: int = 32
    dropout: float = 0.05
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")
    target_pattern: str = ""


@dataclass(frozen=True)
class SftSection:
    mode: str = "joint"
    max_length: int = 1024
    learning_rate: float = 2e-4
    epochs: float = 2.0
    max_steps: int = -1
    max_minutes: float = 0.0
    batch_size: int = 8
    grad_accum: int = 1
    warmup_ratio: float = 0.03
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    eval_steps: int = 50
    save_steps: int = 50
    save_total_limit: int = 3
    max_eval_examples: int = 200
    early_stopping_patience: int = 3
    packing: bool = False
    sampling: str = "group_by_length"
    gradient_checkpointing: bool = False
    seed: int = 0
    logging_steps: int = 5
    threads: int = 0
    interpreter_share: float = 0.0
    decision_weight: float = 1.0
    full_finetune: bool = False
    balanced_modes: tuple[str, ...] = ()
    lm_head_labelled_only: bool = True


@dataclass(frozen=True)
class DataSection:
    seed: int = 0
    engine_result_share: float = 0.0
    athlete_message_copies: int = 0


@dataclass(frozen=True)
class DpoSection:
    enabled: bool = False
    beta: float = 0.1
    learning_rate: float = 5e-7
    epochs: float = 1.0
    max_steps: int = -1
    max_length: int = 1024
    batch_size: int = 2
    grad_accum: int = 4
    eval_steps: int = 50
    save_steps: int = 50
    save_total_limit: int = 2
    max_eval_examples: int = 100
    gradient_checkpointing: bool = False
    max_minutes: float = 0.0
    seed: int = 0
    logging_steps: int = 5


@dataclass(frozen=True)
class ExportSection:
    quants: tuple[str, ...] = ("Q4_K_M",)
    ship: str = "Q4_K_M"
    gguf_v2: bool = False
    adapter_gguf: bool = True
    merge_dtype: str = "float32"


@dataclass(frozen=True)
class ServingSection:
    """How the app serves the model: choices measured on the trained model, not training knobs."""

    confidence_source: str = "self"


@dataclass(frozen=True)
class TrackingSection:
    wandb: bool = False
    project: str = "josi"


@dataclass(frozen=True)
class Profile:
    name: str
    model: ModelSection
    prompt_style: str = "full"
    thresholds: str = "default"
    data: DataSection = field(default_factory=DataSection)
    lora: LoraSection = field(default_factory=LoraSection)
    sft: SftSection = field(default_factory=SftSection)
    dpo: DpoSection = field(default_factory=DpoSection)
    export: ExportSection = field(default_factory=ExportSection)
    tracking: TrackingSection = field(default_factory=TrackingSection)
    runtime: ServingSection = field(default_factory=ServingSection)
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data.pop("source")
        return data

    def config_hash(self) -> str:
        """Hash of every knob (not of the file path), so equal settings hash equally."""
        return _digest(self.to_dict())

    def training_hash(self) -> str:
        """Hash of the knobs the trained weights depend on.

        Export, tracking and gate settings are left out, so asking for another quant
        or another threshold file re-exports or re-tests without retraining.
        """
        return _digest(
            {key: value for key, value in self.to_dict().items() if key not in _NOT_TRAINING}
        )


_NOT_TRAINING = ("export", "tracking", "thresholds", "runtime")


def _digest(data: dict[str, Any]) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_TOP_LEVEL = ("name", "prompt_style", "thresholds")


@functools.cache
def _sections() -> dict[str, type]:
    """Each ``[section]`` and its class, as ``Profile`` declares them."""
    hints = typing.get_type_hints(Profile)
    return {
        field.name: hints[field.name]
        for field in dataclasses.fields(Profile)
        if dataclasses.is_dataclass(hints[field.name])
    }


def profile_names() -> list[str]:
    return sorted(p.stem for p in resource_dir("profiles").glob("*.toml"))


def load_profile(name_or_path: str | Path = "nano", overrides: Iterable[str] = ()) -> Profile:
    """Load ``profiles/<name>.toml`` (or a TOML path) and apply ``key=value`` overrides."""
    path = _locate(name_or_path)
    try:
        raw = tomllib.loads(read_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    raw.setdefault("name", path.stem)
    for item in overrides:
        _apply_override(raw, item)
    return _build(raw, source=str(path))


def _locate(name_or_path: str | Path) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.is_file():
        if not candidate.is_file():
            raise ConfigError(f"profile file not found: {candidate}")
        return candidate
    path = resource_dir("profiles") / f"{name_or_path}.toml"
    if not path.is_file():
        raise ConfigError(
            f"unknown profile {str(name_or_path)!r}; known: {', '.join(profile_names())}"
        )
    return path


def _apply_override(raw: dict[str, Any], item: str) -> None:
    key, sep, value = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"override {item!r} is not of the form key=value")
    parts = key.split(".")
    if len(parts) == 1:
        if parts[0] not in _TOP_LEVEL:
            raise ConfigError(
                f"unknown profile key {key!r}; top-level keys: {', '.join(_TOP_LEVEL)}"
            )
        expected: Any = str
        raw[parts[0]] = _parse_value(value.strip(), expected, key)
        return
    if len(parts) != 2 or parts[0] not in _sections():
        raise ConfigError(f"unknown profile key {key!r}; sections: {', '.join(_sections())}")
    section, name = parts
    hints = typing.get_type_hints(_sections()[section])
    if name not in hints:
        raise ConfigError(f"unknown profile key {key!r}; [{section}] keys: {', '.join(hints)}")
    raw.setdefault(section, {})[name] = _parse_value(value.strip(), hints[name], key)


def _parse_value(text: str, expected: Any, key: str) -> Any:
    """Parse an override string as TOML when possible, else as a bare string."""
    origin = typing.get_origin(expected)
    if expected is str:
        return text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'" else text
    if origin is tuple and not text.startswith("["):
        text = "[" + text + "]"
    if text.startswith("[") and origin is tuple:
        inner = [part.strip().strip("\"'") for part in text[1:-1].split(",") if part.strip()]
        return inner
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        if expected is str or (
            origin in (types.UnionType, typing.Union) and str in typing.get_args(expected)
        ):
            return text
        raise ConfigError(f"override {key}={text!r}: cannot parse the value") from None


def _build(raw: Mapping[str, Any], *, source: str) -> Profile:
    unknown = set(raw) - set(_TOP_LEVEL) - set(_sections())
    if unknown:
        raise ConfigError(f"{source}: unknown top-level keys {sorted(unknown)}")
    if "model" not in raw or "base" not in raw.get("model", {}):
        raise ConfigError(f"{source}: [model] base is required")
    sections = {
        name: _section(cls, raw.get(name, {}), name, source) for name, cls in _sections().items()
    }
    top = {key: _typed(str, raw[key], key, source) for key in _TOP_LEVEL if key in raw}
    profile = Profile(source=source, **top, **sections)
    _validate(profile)
    return profile


def _section(cls: type, values: Any, section: str, source: str) -> Any:
    if not isinstance(values, Mapping):
        raise ConfigError(f"{source}: [{section}] must be a table")
    hints = typing.get_type_hints(cls)
    unknown = set(values) - set(hints)
    if unknown:
        raise ConfigError(
            f"{source}: unknown keys in [{section}]: {sorted(unknown)}; allowed: {', '.join(hints)}"
        )
    kwargs = {
        key: _typed(hints[key], value, f"{section}.{key}", source) for key, value in values.items()
    }
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"{source}: [{section}] {exc}") from exc


def _typed(expected: Any, value: Any, key: str, source: str) -> Any:
    origin = typing.get_origin(expected)
    if origin in (types.UnionType, typing.Union):
        options = typing.get_args(expected)
        if value is None and type(None) in options:
            return None
        for option in options:
            if option is type(None):
                continue
            try:
                return _typed(option, value, key, source)
            except ConfigError:
                continue
        raise ConfigError(f"{source}: {key} = {value!r} is not a {expected}")
    if origin is tuple:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{source}: {key} must be a list of strings, got {value!r}")
        return tuple(value)
    if expected is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ConfigError(f"{source}: {key} must be true or false, got {value!r}")
    if expected is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{source}: {key} must be an integer, got {value!r}")
        return value
    if expected is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{source}: {key} must be a number, got {value!r}")
        return float(value)
    if expected is str:
        if not isinstance(value, str):
            raise ConfigError(f"{source}: {key} must be a string, got {value!r}")
        return value
    raise ConfigError(f"{source}: {key}: unsupported type {expected}")


def _validate(profile: Profile) -> None:
    where = profile.source
    checks = [
        (profile.prompt_style in PROMPT_STYLES, f"prompt_style must be one of {PROMPT_STYLES}"),
        (profile.model.dtype in DTYPES, f"model.dtype must be one of {DTYPES}"),
        (
            profile.export.merge_dtype in ("float32", "bfloat16", "float16"),
            "export.merge_dtype must be 16 or 32 bit",
        ),
        (profile.sft.mode in MODES, f"sft.mode must be one of {MODES}"),
        (
            0.0 <= profile.data.engine_result_share <= 1.0,
            "data.engine_result_share must be in [0, 1]",
        ),
        (
            0 <= profile.data.athlete_message_copies <= 10,
            "data.athlete_message_copies must be in [0, 10]",
        ),
        (profile.lora.r > 0 and profile.lora.alpha > 0, "lora.r and lora.alpha must be positive"),
        (0.0 <= profile.lora.dropout < 1.0, "lora.dropout must be in [0, 1)"),
        (
            bool(profile.lora.target_modules) or bool(profile.lora.target_pattern),
            "lora needs target modules",
        ),
        (
            0 < profile.sft.max_length <= profile.model.context_length,
            "sft.max_length must be in (0, context_length]",
        ),
        (
            0 < profile.dpo.max_length <= profile.model.context_length,
            "dpo.max_length must be in (0, context_length]",
        ),
        (
            profile.sft.learning_rate > 0 and profile.dpo.learning_rate > 0,
            "learning rates must be positive",
        ),
        (
            profile.sft.batch_size > 0 and profile.sft.grad_accum > 0,
            "sft batch sizes must be positive",
        ),
        (
            2 <= profile.sft.early_stopping_patience <= 3
            or profile.sft.early_stopping_patience == 0,
            "sft.early_stopping_patience must be 2 or 3 (0 disables it)",
        ),
        (
            profile.sft.interpreter_share == 0.0 or 0.0 < profile.sft.interpreter_share < 1.0,
            "sft.interpreter_share must be in (0, 1), or 0 for the dataset's own mix",
        ),
        (profile.sft.sampling in SAMPLINGS, f"sft.sampling must be one of {SAMPLINGS}"),
        (
            set(profile.sft.balanced_modes) <= set(DATA_MODES),
            f"sft.balanced_modes takes a subset of {DATA_MODES}",
        ),
        (
            not profile.sft.balanced_modes or profile.sft.max_steps > 0,
            "sft.balanced_modes chooses the rows a step budget reaches: set sft.max_steps",
        ),
        (
            profile.sft.decision_weight >= 1.0,
            "sft.decision_weight must be >= 1 (1 weights every token alike)",
        ),
        (
            not profile.sft.full_finetune
            or not (
                profile.export.adapter_gguf or profile.dpo.enabled or profile.model.qlora_on_cuda
            ),
            "sft.full_finetune trains every weight: export.adapter_gguf, dpo.enabled and "
            "model.qlora_on_cuda need a LoRA",
        ),
        (profile.dpo.beta > 0, "dpo.beta must be positive"),
        (profile.model.output_budget > 0, "model.output_budget must be positive"),
        (all(q in QUANTS for q in profile.export.quants), f"export.quants must be among {QUANTS}"),
        (profile.export.ship in profile.export.quants, "export.ship must be one of export.quants"),
        (
            profile.runtime.confidence_source in CONFIDENCE_SOURCES,
            f"runtime.confidence_source must be one of {CONFIDENCE_SOURCES}",
        ),
    ]
    for ok, message in checks:
        if not ok:
            raise ConfigError(f"{where}: {message}")
