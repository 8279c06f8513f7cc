"""The ``josi`` command line. Each area registers its own commands; heavy
libraries are imported inside the commands, so ``josi --help`` is instant."""

from __future__ import annotations

import importlib
import sys

import typer

from josi._errors import JosiError

# Each module exposes ``register(app)``; order is the order of ``josi --help``.
_COMMAND_MODULES = (
    "josi.contracts._cli",
    "josi.data._cli",
    "josi.postprocess._cli",
    "josi.training._cli",
    "josi.export._cli",
    "josi.runtime._cli",
    "josi.evals._cli",
    "josi.pipeline._cli",
)


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="josi",
        help="Josi: contracts, data, training, export, runtime and the release gate "
        "for the on-device running and cycling coach model.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(app)
    return app


def error_line(exc: BaseException) -> str:
    """One line for a user's mistake or an environment problem; never a traceback."""
    if isinstance(exc, OSError) and not isinstance(exc, JosiError) and exc.strerror:
        text = f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
        if exc.filename2:
            text += f" (and {exc.filename2})"
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def main(argv: list[str] | None = None) -> int:
    app = build_app()
    try:
        # Without standalone mode click returns a command's exit code instead of exiting.
        code = app(args=argv if argv is not None else sys.argv[1:], standalone_mode=False)
    except (JosiError, OSError, UnicodeError) as exc:
        # Bad input, a full disk, a read-only folder or a non-UTF-8 file: the user can act
        # on one line; a traceback would bury it.
        typer.secho(f"error: {error_line(exc)}", err=True, fg=typer.colors.RED)
        return 2
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        return 130
    except SystemExit as exc:  # click raises this for --help and usage errors
        return int(exc.code or 0)
    except Exception as exc:
        # Usage errors come from the click copy typer vendors; match them by shape.
        if hasattr(exc, "show") and isinstance(getattr(exc, "exit_code", None), int):
            exc.show()
            return exc.exit_code
        raise
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    raise SystemExit(main())
