"""Run a Josi GGUF: the v6 two-mode turn on llama.cpp, batch runs and a terminal chat."""

from josi._gguf import GgufInfo, inspect_gguf
from josi.runtime._config import (
    CONFIDENCE_SOURCES,
    KV_CACHE_TYPES,
    MODES,
    PROMPT_STYLES,
    DryPenalty,
    RuntimeConfig,
    embedded_gguf,
    manifest_path,
    manifest_prompt_style,
    read_manifest,
)
from josi.runtime._runtime import (
    CallStats,
    CoachCall,
    InterpreterCall,
    JosiRuntime,
    TurnResult,
    call_seed,
    looks_garbled,
)
from josi.runtime._scripted import SCRIPTED_COACH_REPLY, ScriptedEngine
from josi.runtime._served import (
    KINDS as SERVER_KINDS,
)
from josi.runtime._served import (
    LocalServer,
    Retry,
    ServedEngine,
    ServedFeatureWarning,
    free_port,
)

__all__ = [
    "CONFIDENCE_SOURCES",
    "KV_CACHE_TYPES",
    "MODES",
    "PROMPT_STYLES",
    "SCRIPTED_COACH_REPLY",
    "SERVER_KINDS",
    "CallStats",
    "CoachCall",
    "DryPenalty",
    "GgufInfo",
    "InterpreterCall",
    "JosiRuntime",
    "LocalServer",
    "Retry",
    "RuntimeConfig",
    "ScriptedEngine",
    "ServedEngine",
    "ServedFeatureWarning",
    "TurnResult",
    "call_seed",
    "embedded_gguf",
    "free_port",
    "inspect_gguf",
    "looks_garbled",
    "manifest_path",
    "manifest_prompt_style",
    "read_manifest",
]
