"""``josi compare``, ``josi bakeoff``, ``josi report``, ``josi case add`` and ``josi baseline``."""

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
        fail_on_regression: bool = typer.Option(
            False, "--fail-on-regression", help="exit 1 on a significant paired regression"
        ),
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
        layers: str = typer.Option(
            "schema,contract,quality", "--layers", help="comma-separated suites to run"
        ),
        profile: str = typer.Option(
            "bakeoff", "--profile", help="thresholds profile for the suites"
        ),
        pytest_args: str = typer.Option(
            "", "--pytest-args", help="extra pytest arguments, e.g. '-k golden-create'"
        ),
        endpoints: list[str] = typer.Option(
            None,
            "--endpoint",
            help="the server running each GGUF, in the GGUFs' order (repeat it; a "
            "comma-separated list for one GGUF spreads its xdist workers; docs/served.md)",
        ),
    ) -> None:
        """Run the same suites on each GGUF and rank by the decision matrix (table + PNG)."""
        import shlex

        from josi.evals import LAYERS
        from josi.evals._bakeoff import bakeoff

        if endpoints and len(endpoints) != len(ggufs):
            raise typer.BadParameter(
                f"{len(endpoints)} --endpoint for {len(ggufs)} GGUFs; give one per GGUF"
            )

        chosen = tuple(x.strip() for x in layers.split(",") if x.strip())
        unknown = [x for x in chosen if x not in LAYERS]
        if unknown:
            raise typer.BadParameter(f"unknown layers {unknown}; choose from {list(LAYERS)}")
        summary = bakeoff(
            ggufs,
            out,
            layers=chosen,
            profile=profile,
            pytest_args=shlex.split(pytest_args),
            endpoints=endpoints or None,
        )
        typer.echo(summary["table"])
        if summary["plot"]:
            typer.echo(f"plot: {summary['plot']}")
        else:
            typer.echo("plot skipped: matplotlib is not installed (pip install 'josi[report]')")
        typer.echo(f"results: {out / 'bakeoff.json'}")

    @app.command("report")
    def report(
        results: Path = typer.Argument(..., help="a results.json (or its report folder)"),
        out: Path = typer.Option(
            None, "--out", help="folder for report.html (default: beside the results)"
        ),
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

    case = typer.Typer(
        help="Eval cases as data: add a regression prompt in one command.", no_args_is_help=True
    )

    @case.command("add")
    def case_add(
        layer: str = typer.Argument(
            ...,
            help="the suite: schema, contract, quality, grounding, memory, confidence or golden",
        ),
        message: str = typer.Option(None, "--message", help="the athlete's message"),
        preset: str = typer.Option(
            None, "--preset", help="a context preset from fixtures/cases/presets.json"
        ),
        lang: str = typer.Option("en", "--lang", help="the message's language: en or nl"),
        tags: list[str] = typer.Option(None, "--tag", help="extra tags (repeatable)"),
        expect: list[str] = typer.Option(
            None,
            "--expect",
            help="key=value: request fields (action=replan "
            "replan_type=skip_today), red_flag, deny, zone_cap, chat, i6, ...",
        ),
        from_results: Path = typer.Option(
            None, "--from", help="a results.json (or its folder) to take the case from, with --id"
        ),
        case_id: str = typer.Option(
            None,
            "--id",
            help="with --from: the record to copy; otherwise the new "
            "case's id (default: the layer's next one)",
        ),
    ) -> None:
        """Validate a new case, give it the next id and append it to fixtures/cases/LAYER.jsonl."""
        from josi._errors import ContractError
        from josi.evals import load_results
        from josi.evals._case_add import add_case, case_from_record, expectation
        from josi.evals._cases import expand_context

        if from_results is not None:
            if not case_id:
                raise ContractError("--from needs --id CASE: the record to turn into a case")
            row = case_from_record(load_results(from_results), case_id)
            if expect:
                row["expect"] = expectation(expect, row["message"])
            new_id = None
        else:
            if not message or not preset:
                raise ContractError("give --message and --preset (or --from RESULTS --id CASE)")
            if lang not in ("en", "nl"):
                raise ContractError(f"--lang {lang!r}: en or nl")
            expand_context({"preset": preset})  # an unknown preset is an error before writing
            row = {
                "tags": [lang, *(tags or [])],
                "message": message,
                "context": {"preset": preset},
                "expect": expectation(expect or [], message),
            }
            new_id = case_id
        # Ids follow the files' stems: golden-create-NN, golden-replan-NN, ...
        action = (row["expect"].get("request") or {}).get("action")
        hint = (
            action.split("_")[0]
            if action
            else next((t for t in row["tags"] if t not in ("en", "nl")), "case")
        )
        added, path = add_case(layer, row, hint=hint, case_id=new_id)
        typer.echo(f"added {added} to {path}")

    app.add_typer(case, name="case")

    baseline = typer.Typer(
        help="The per-case outcomes a below-target profile is gated against.", no_args_is_help=True
    )

    @baseline.command(
        "update",
        help="Make a run's per-case outcomes the profile's baseline "
        "(the ship gate does this on success).",
    )
    def baseline_update(
        results: Path = typer.Argument(..., help="a passing results.json (or its report folder)"),
        profile: str = typer.Option(
            "nano", "--profile", help="whose baseline: thresholds/<profile>.baseline.json"
        ),
        initial: bool = typer.Option(
            False,
            "--initial",
            help="the profile's first baseline, from a run of the "
            "model that last shipped: its below-target figures may miss the "
            "recorded ones, nothing else may fail",
        ),
    ) -> None:
        from josi._errors import ContractError
        from josi.evals import baseline_path, load_results, load_thresholds, write_baseline

        data = load_results(results)
        thresholds = load_thresholds(profile)
        if data.get("profile") != thresholds.profile:
            raise ContractError(
                f"{results} was gated as profile {data.get('profile')!r}, not {profile!r}"
            )
        target = baseline_path(thresholds.path)
        failed = list(data.get("gates_failed") or [])
        if initial:
            if target.exists():
                raise ContractError(
                    f"{target} exists: --initial starts a profile's first baseline only"
                )
            below = {g.metric for g in thresholds.gates if g.below_production}
            failed = [m for m in failed if m not in below]
            broken = [
                f"{r['layer']}:{r['id']}" for r in data.get("records", []) if r.get("violations")
            ]
            if broken:
                raise ContractError(
                    f"code guarantees failed on {len(broken)} cases ({', '.join(broken[:5])})"
                )
        if failed:
            raise ContractError(
                f"{results}: gates failed ({', '.join(failed)}); "
                "only a passing run becomes the baseline"
            )
        path = write_baseline(data, target)
        typer.echo(f"baseline: {path}")

    app.add_typer(baseline, name="baseline")
