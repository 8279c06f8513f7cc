"""``josi data build`` and ``josi data stats``."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    data = typer.Typer(help="Build and inspect the training dataset.", no_args_is_help=True)

    @data.command("build")
    def build(
        out: Path = typer.Option(
            ..., "--out", help="Folder for the JSONL files, stats and data card."
        ),
        seed: int = typer.Option(0, "--seed", help="Same seed, same bytes."),
        scale: float = typer.Option(
            1.0, "--scale", help="Multiply every quota (e.g. 0.05 for a quick build)."
        ),
        engine_result_share: float = typer.Option(
            0.0,
            "--engine-result-share",
            help="Share of the coach's questions about today that carry an engine result.",
        ),
        athlete_message_copies: int = typer.Option(
            0,
            "--athlete-message-copies",
            help="Training rows per athlete-written request (fixtures/intents); 0 for none.",
        ),
        memory_update_rows: int = typer.Option(
            0,
            "--memory-update-rows",
            help="Coach rows where a newer fact replaces an older one (from explain_session).",
        ),
    ) -> None:
        """Generate interpreter, coach and preference data (deterministic for a seed)."""
        import time

        from josi.data._build import BuildConfig, write_dataset
        from josi.data._stats import format_stats

        if scale <= 0:
            raise typer.BadParameter("--scale must be positive")
        if not 0.0 <= engine_result_share <= 1.0:
            raise typer.BadParameter("--engine-result-share must be in [0, 1]")
        if not 0 <= athlete_message_copies <= 10:
            raise typer.BadParameter("--athlete-message-copies must be in [0, 10]")
        if memory_update_rows < 0:
            raise typer.BadParameter("--memory-update-rows must be 0 or more")
        started = time.perf_counter()
        config = BuildConfig(
            seed=seed,
            scale=scale,
            engine_result_share=engine_result_share,
            athlete_message_copies=athlete_message_copies,
            memory_update_rows=memory_update_rows,
        )
        stats = write_dataset(out, config)
        typer.echo(format_stats(stats))
        typer.echo(f"wrote {out} in {time.perf_counter() - started:.1f}s")

    @data.command("stats")
    def stats(
        directory: Path = typer.Argument(..., help="A folder written by `josi data build`."),
    ) -> None:
        """Counts by mode, action, language, persona, category; token lengths; dataset hash."""
        from josi.data._stats import compute_stats, format_stats

        typer.echo(format_stats(compute_stats(directory)))

    app.add_typer(data, name="data")
