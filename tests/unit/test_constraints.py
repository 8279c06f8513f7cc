"""constraints.txt, the environment nox installs, agrees with pyproject.toml and pins every
library that shapes the weights (josi._libraries)."""

from __future__ import annotations

import functools
import re
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from josi._libraries import WEIGHT_LIBRARIES
from josi._resources import repo_root

ROOT = repo_root()
pytestmark = pytest.mark.skipif(ROOT is None, reason="constraints.txt lives in a josi checkout")
_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[0-9][A-Za-z0-9.!]*)$")


def _lines() -> list[str]:
    text = (ROOT / "constraints.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


@functools.cache
def _pins() -> dict[str, str]:
    return {canonicalize_name(m["name"]): m["version"] for m in map(_PIN.match, _lines()) if m}


def _declared() -> list[Requirement]:
    """The requirements nox installs: the base dependencies and those of the extras that
    ``josi[all]`` names (the GPU extra is not among them: CI and the nano path run on CPU)."""
    if ROOT is None:
        return []
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    (everything,) = [Requirement(spec) for spec in extras["all"]]
    groups = [project["dependencies"], *(extras[name] for name in sorted(everything.extras))]
    return [Requirement(spec) for group in groups for spec in group]


def test_every_line_is_one_exact_pin_sorted_without_local_labels():
    lines = _lines()
    assert [line for line in lines if not _PIN.match(line)] == []
    names = [canonicalize_name(line.split("==")[0]) for line in lines]
    assert len(names) == len(set(names))
    assert lines == sorted(lines, key=str.lower)


@pytest.mark.parametrize("requirement", _declared(), ids=str)
def test_pyproject_requirement_admits_the_pinned_version(requirement):
    pins = _pins()
    name = canonicalize_name(requirement.name)
    assert name in pins, f"{requirement} is declared but constraints.txt does not pin it"
    assert requirement.specifier.contains(pins[name], prereleases=True), (
        f"{requirement} does not admit the pinned {pins[name]}: run `nox -s lock`"
    )


@pytest.mark.parametrize("library", WEIGHT_LIBRARIES)
def test_every_library_that_shapes_the_weights_is_pinned(library):
    assert canonicalize_name(library) in _pins()
