"""``josi compare``, ``josi bakeoff`` and ``josi report``."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("compare")
    def compare(
        a: Path = typer.Argument(..., help="baseline results.json (or its report folder)"),
        b: Path = typer.Argument(..., help="candidate results.json (or its report folder)"),
        out: Path = typer.Option(None, "--out", help="also write the comparison as JSON here"),
        alpha: float = typer.Option(0.05, "--alpha", help="significance level for a regression"),
        fail_on_regression: bool = typer.Option(False, "--fail-on-regression",
                                                help="exit 1 on a significant paired regression"),
    ) -> None:
        """Paired per-case flips between two runs, exact McNemar p-value, per-layer deltas."""
        from josi._io import atomic_write_json
        from josi.evals import compare_results, format_comparison, load_results

        cmp = compare_results(load_results(a), load_results(b), alpha=alpha)
        typer.echo(format_comparison(cmp))
        if out:
            atomic_write_json(out, cmp)
        if fail_on_regression and cmp["significant_regression"]:
            raise typer.Exit(1)

    @app.command("bakeoff")
    def bakeoff_cmd(
        ggufs: list[Path] = typer.Argument(..., help="candidate GGUF files"),
        out: Path = typer.Option(Path("reports/bakeoff"), "--out", help="output folder"),
        layers: str = typer.Option("schema,contract,quality", "--layers", help="comma-separated suites to run"),
        profile: str = typer.Option("bakeoff", "--profile", help="thresholds profile for the suites"),
        pytest_args: str = typer.Option("", "--pytest-args", help="extra pytest arguments, e.g. '-k golden-create'"),
    ) -> None:
        """Run the same suites on each GGUF and rank by the decision matrix (table + PNG)."""
        import shlex

        from josi.evals import LAYERS
        from josi.evals._bakeoff import bakeoff

        chosen = tuple(x.strip() for x in layers.split(",") if x.strip())
        unknown = [x for x in chosen if x not in LAYERS]
        if unknown:
            raise typer.BadParameter(f"unknown layers {unknown}; choose from {list(LAYERS)}")
        summary = bakeoff(ggufs, out, layers=chosen, profile=profile, pytest_args=shlex.split(pytest_args))
        typer.echo(summary["table"])
        if summary["plot"]:
            typer.echo(f"plot: {summary['plot']}")
        else:
            typer.echo("plot skipped: matplotlib is not installed (pip install 'josi[report]')")
        typer.echo(f"results: {out / 'bakeoff.json'}")

    @app.command("report")
    def report(
        results: Path = typer.Argument(..., help="a results.json (or its report folder)"),
        out: Path = typer.Option(None, "--out", help="folder for report.html (default: beside the results)"),
    ) -> None:
        """Print the summary of a results file and (re)write its self-contained HTML report."""
        from josi._io import atomic_write_text
        from josi.evals import load_results, render_html, terminal_summary

        data = load_results(results)
        source = Path(data.pop("_path"))
        for line in terminal_summary(data):
            typer.echo(line)
        target = (out or source.parent) / "report.html"
        atomic_write_text(target, render_html(data))
        typer.echo(f"html report: {target}")
