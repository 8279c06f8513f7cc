"""``python -m josi.data build|stats``: the data commands without the other areas' CLIs."""

from __future__ import annotations

import sys

import typer

from josi._errors import JosiError
from josi.data._cli import register


def main(argv: list[str] | None = None) -> int:
    app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False)
    register(app)
    try:
        app(args=["data", *(argv if argv is not None else sys.argv[1:])], standalone_mode=False)
    except JosiError as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        return 2
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
