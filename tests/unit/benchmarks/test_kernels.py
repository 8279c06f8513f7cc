"""The kernel flags the held-out and jump-forward benchmarks share."""

from __future__ import annotations

import pytest

from benchmarks import _kernels

# Each benchmark's own arguments besides the model and the output file.
OWN_ARGUMENTS = {
    "benchmarks.interpreter_heldout": lambda tmp_path: ["--data", str(tmp_path)],
    "benchmarks.jump_forward": lambda tmp_path: [],
}


@pytest.mark.parametrize("main_module", sorted(OWN_ARGUMENTS))
def test_a_quantized_cache_without_flash_attention_is_a_one_line_usage_error(
    main_module, tmp_path, capsys
):
    import importlib

    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"")
    main = importlib.import_module(main_module).main
    argv = [
        "--gguf",
        str(gguf),
        "--out",
        str(tmp_path / "r.json"),
        *OWN_ARGUMENTS[main_module](tmp_path),
    ]
    with pytest.raises(SystemExit) as stop:
        main([*argv, "--kv-cache-type", "q8_0"])
    assert stop.value.code == 2
    message = capsys.readouterr().err.strip().splitlines()[-1]
    assert message.endswith("kv_cache_type 'q8_0' needs flash_attn")
    assert not (tmp_path / "r.json").exists()


def test_the_shipped_settings_are_the_runtime_defaults():
    assert _kernels.shipped() == {"flash_attn": False, "kv_cache_type": "f16"}
