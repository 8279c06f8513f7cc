"""The top-level package: `import josi` loads nothing else; its names load on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

import josi


def test_import_josi_and_its_pytest_plugin_load_no_other_module():
    probe = (
        "import sys; import josi, josi.pytest_plugin; "
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('josi', 'jsonschema', 'llama_cpp', 'numpy', 'jinja2'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "josi,josi.pytest_plugin"


def test_every_exported_name_resolves():
    namespace: dict[str, object] = {}
    exec("from josi import *", namespace)
    assert sorted(set(josi.__all__) - set(namespace)) == []
    assert josi.JosiRuntime.__module__ == "josi.runtime._runtime"


def test_subpackages_are_attributes_and_unknown_names_are_not():
    assert josi.postprocess.postprocess.__module__ == "josi.postprocess._post"
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = josi.no_such_name
