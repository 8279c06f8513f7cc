from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def embedded_runtime():
    """The raw embedded SmolLM2 GGUF, greedy, small context, compact prompts (every prompt
    token costs ~7 ms on a shared 2-core CPU); loaded once per worker."""
    from josi.runtime import JosiRuntime, RuntimeConfig, embedded_gguf

    runtime = JosiRuntime(
        RuntimeConfig(
            gguf=embedded_gguf(), n_ctx=1024, seed=0, deterministic=True, prompt_style="compact"
        )
    )
    yield runtime
    runtime.close()
