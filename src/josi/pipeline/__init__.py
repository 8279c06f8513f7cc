"""The content-addressed chain data -> train -> export, and the ship gate."""

from josi.pipeline._build import STAGES, BuildResult, build, default_gguf
from josi.pipeline._ship import ship

__all__ = ["STAGES", "BuildResult", "build", "default_gguf", "ship"]
