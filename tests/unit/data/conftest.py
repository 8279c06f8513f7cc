from __future__ import annotations

from pathlib import Path

import pytest

from josi.data import BuildConfig, write_dataset

# Small enough to build in about a second, large enough that every category,
# zone, readiness level, persona and language appears.
SMALL = BuildConfig(seed=7, scale=0.12, engine_result_share=0.5)


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dataset")
    write_dataset(out, SMALL)
    return out
