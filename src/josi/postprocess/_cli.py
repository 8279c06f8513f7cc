"""``josi intents fit`` and ``josi intents fit-questions``: the learned readings, fitted from
labelled messages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer

_TRAIN = Path("fixtures/intents/plan_change_train.jsonl")
_VALIDATION = Path("fixtures/intents/plan_change_val.jsonl")
_QUESTION_VALIDATION = Path("fixtures/intents/requests_val.jsonl")
# The options both fits take, declared once.
_TRAIN_OPTION = typer.Option(_TRAIN, "--train", help="labelled messages to fit on")
_OUT = typer.Option(
    None, "--out", help="where to write the model (default: the package's own file)"
)
_CHECK = typer.Option(
    False, "--check", help="Write nothing; exit 1 if the package's model is stale."
)


def register(app: typer.Typer) -> None:
    intents = typer.Typer(
        help="The learned readings that back the coach and request lexicons.",
        no_args_is_help=True,
    )

    @intents.command("fit")
    def fit_cmd(
        train: Path = _TRAIN_OPTION,
        validation: Path = typer.Option(
            _VALIDATION, "--validation", help="labelled messages that choose the threshold"
        ),
        out: Path = _OUT,
        check: bool = _CHECK,
    ) -> None:
        """Fit plan_change_model.json from the labelled messages; same input, same bytes."""
        from josi.postprocess._learned import MODEL_FILE, fitted_model_text

        _write_fitted(
            MODEL_FILE, train, validation, out, check, fitted_model_text, "josi intents fit"
        )

    @intents.command("fit-questions")
    def fit_questions_cmd(
        train: Path = _TRAIN_OPTION,
        validation: Path = typer.Option(
            _QUESTION_VALIDATION,
            "--validation",
            help="written requests labelled by action that choose the threshold",
        ),
        out: Path = _OUT,
        check: bool = _CHECK,
    ) -> None:
        """Fit question_model.json from the labelled messages; same input, same bytes."""
        from josi.postprocess._learned import QUESTION_MODEL_FILE, fitted_question_model_text

        _write_fitted(
            QUESTION_MODEL_FILE,
            train,
            validation,
            out,
            check,
            fitted_question_model_text,
            "josi intents fit-questions",
        )

    app.add_typer(intents, name="intents")


def _write_fitted(
    name: str,
    train: Path,
    validation: Path,
    out: Path | None,
    check: bool,
    fitted: Callable[[Path, Path], str],
    command: str,
) -> None:
    import json

    from josi._errors import ConfigError
    from josi._io import atomic_write_text

    packaged = Path(__file__).with_name(name)
    target = out or packaged
    if target.resolve() in (train.resolve(), validation.resolve()):
        raise ConfigError(f"--out {target} is an input of the fit: write the model elsewhere")
    text = fitted(train, validation)
    if check:
        if packaged.read_text(encoding="utf-8") != text:
            typer.echo(f"{packaged} is stale: run `{command}`", err=True)
            raise typer.Exit(1)
        typer.echo(f"{packaged} is up to date")
        return
    atomic_write_text(target, text)
    summary = json.loads(text)
    typer.echo(
        f"wrote {target}: {len(summary['weights'])} weights, threshold "
        f"{summary['threshold']}, validation {summary['validation']}"
    )
