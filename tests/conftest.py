"""Shared test setup. The Josi pytest plugin (model options, fixtures, reports) is
loaded through its entry point; here each suite folder adds its layer marker, so
``pytest -m golden`` selects a layer without every test repeating it."""

from __future__ import annotations

from pathlib import Path

import pytest

from josi.evals import LAYERS

_TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        try:
            layer = Path(item.path).resolve().relative_to(_TESTS).parts[0]
        except ValueError:
            continue
        if layer in LAYERS:
            item.add_marker(getattr(pytest.mark, layer))
