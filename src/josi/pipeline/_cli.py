"""``josi pipeline``: build the chain or run the ship gate."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    pipeline = typer.Typer(
        help="Run the chain data -> train -> export (cached), or the ship gate.",
        no_args_is_help=True,
    )

    @pipeline.command("build")
    def build_command(
        overrides: list[str] = typer.Argument(
            None, help="Profile overrides, key=value (e.g. sft.max_steps=50)."
        ),
        profile: str = typer.Option(
            "nano", help="Model profile (profiles/<name>.toml) or a TOML path."
        ),
        until: str = typer.Option("export", help="Last stage: data, train or export."),
    ) -> None:
        """Build up to a stage, reusing every stage whose inputs are unchanged."""
        from josi.pipeline import build

        result = build(profile, overrides or (), until=until, log=typer.echo)
        for role, path in sorted(result.artifacts.items()):
            typer.echo(f"{role:8} {path}")
        if result.adapter_dir and not result.artifacts:
            typer.echo(f"adapter  {result.adapter_dir}")
        if result.data_dir and until == "data":
            typer.echo(f"data     {result.data_dir}")

    @pipeline.command(
        "ship",
        help="Build, run every layer on the Q4_K_M (compared with its F16), "
        "publish only if pytest exits 0.",
    )
    def ship_command(
        overrides: list[str] = typer.Argument(None, help="Profile overrides, key=value."),
        profile: str = typer.Option("nano", help="Model profile."),
        dist: Path = typer.Option(
            None, help="Where a passing model is published (default: dist/ in the checkout)."
        ),
    ) -> None:
        from josi.pipeline import ship

        raise typer.Exit(ship(profile, overrides or (), dist=dist, log=typer.echo))

    app.add_typer(pipeline, name="pipeline")
