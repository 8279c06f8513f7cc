"""A stage's cache key covers the code it runs, including the josi modules it imports."""

from __future__ import annotations

from pathlib import Path

import pytest

from josi.pipeline import _build
from josi.pipeline._build import _tree_hash, stage_code


def _names(package: str) -> set[str]:
    return {path.name for path in stage_code(package)}


@pytest.mark.parametrize(
    ("stage", "needs"),
    [
        # The dataset's noise check calls the post-processor, the language detector and the scorers.
        ("data", {"data", "postprocess", "lang", "scorers", "prompting", "contracts"}),
        # Every training example, its MEMORY block included, is rendered by josi.prompting.
        ("training", {"training", "prompting"}),
        ("export", {"export", "training", "prompting"}),
    ],
    ids=["data", "training", "export"],
)
def test_each_stage_covers_the_modules_it_calls(stage: str, needs: set[str]) -> None:
    assert needs <= _names(stage)


def test_training_does_not_depend_on_the_eval_harness() -> None:
    # A new gate or scorer must not invalidate a 25-minute training run.
    assert not {"evals", "scorers", "runtime", "pipeline"} & _names("training")


@pytest.fixture
def fake_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "josi"
    for name, text in {
        "stage/__init__.py": "from josi.stage._impl import run\n",
        "stage/_impl.py": "def run():\n    from josi.helper import shout\n    return shout()\n",
        "helper.py": "import josi.deep.thing\n\ndef shout():\n    return 1\n",
        "deep/__init__.py": "",
        "deep/thing.py": "X = 1\n",
        "deep/table.toml": "a = 1\n",
        "unrelated/__init__.py": "Y = 2\n",
    }.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    monkeypatch.setattr(_build, "_PACKAGE_DIR", root)
    return root


def test_imports_are_followed_through_function_bodies_and_plain_imports(fake_package: Path) -> None:
    assert stage_code("stage") == [
        fake_package / "deep",
        fake_package / "helper.py",
        fake_package / "stage",
    ]


@pytest.mark.parametrize(
    ("edited", "changes_key"),
    [
        ("deep/thing.py", True),
        ("deep/table.toml", True),
        ("helper.py", True),
        ("unrelated/__init__.py", False),
    ],
    ids=[
        "transitive-module",
        "data-file-of-a-dependency",
        "direct-dependency",
        "unrelated-package",
    ],
)
def test_editing_a_dependency_changes_the_key(
    fake_package: Path, edited: str, changes_key: bool
) -> None:
    before = _tree_hash(stage_code("stage"))
    (fake_package / edited).write_text((fake_package / edited).read_text() + "# edited\n")
    assert (_tree_hash(stage_code("stage")) != before) is changes_key


@pytest.mark.parametrize("kind", ["prompts", "schemas"])
def test_the_train_key_changes_with_the_prompts_and_schemas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    # The system prompts are rendered into every example; the schema orders every target.
    from josi.training import load_profile

    for folder in ("prompts", "schemas"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "file.txt").write_text("first")
    monkeypatch.setattr(_build, "resource_dir", lambda name: tmp_path / name)
    base = tmp_path / "base"
    base.mkdir()
    (base / "model.safetensors").write_bytes(b"weights")
    profile = load_profile("nano")
    before = _build.train_key(profile, "d" * 64, base)
    (tmp_path / kind / "file.txt").write_text("second")
    assert _build.train_key(profile, "d" * 64, base) != before
