"""The command-line surface: every area registers, help is instant, exit codes are honest."""

from __future__ import annotations

import subprocess
import sys

import typer

from josi.cli import build_app, main


def _command_tree(command, prefix: str = "") -> list[str]:
    lines = [
        f"{prefix}{command.name}: {(command.help or '').splitlines()[0] if command.help else ''}"
    ]
    if hasattr(command, "commands"):
        for name in sorted(command.commands):
            lines += _command_tree(command.commands[name], prefix + "  ")
    return lines


def test_command_tree_snapshot(snapshot):
    # Reviewing this snapshot is how a change to the CLI surface gets noticed.
    assert "\n".join(_command_tree(typer.main.get_command(build_app()))) == snapshot


def test_help_exits_zero(capsys):
    assert main(["--help"]) == 0
    assert "pipeline" in capsys.readouterr().out


def test_unknown_command_is_an_error():
    assert main(["no-such-command"]) != 0


def test_command_exit_codes_reach_the_shell(tmp_path):
    missing = tmp_path / "absent.gbnf"
    code = main(["export", "verify", str(missing)])
    assert code != 0


def test_help_does_not_import_heavy_libraries():
    probe = (
        "import sys; from josi.cli import main; main(['--help']); "
        "print('HEAVY=' + ','.join(m for m in ('torch','transformers','llama_cpp','trl','peft') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "HEAVY="
