"""``josi grammar``: generate and check the committed GBNF grammar."""

from __future__ import annotations

import typer

from josi._io import atomic_write_text
from josi._resources import resource_dir


def register(app: typer.Typer) -> None:
    grammar = typer.Typer(
        help="Generate or check grammars/gatc_request.gbnf from the schema.", no_args_is_help=True
    )

    @grammar.command("generate")
    def generate(
        check: bool = typer.Option(
            False, "--check", help="Exit 1 if the committed grammar is stale."
        ),
    ) -> None:
        """Regenerate the GBNF grammar from schemas/gatc_request.schema.json."""
        from josi.contracts._grammar import GRAMMAR_FILE, generate_grammar

        fresh = generate_grammar()
        path = resource_dir("grammars") / GRAMMAR_FILE
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if check:
            if current != fresh:
                typer.echo(f"{path} is stale: run `josi grammar generate`", err=True)
                raise typer.Exit(1)
            typer.echo(f"{path} is up to date")
            return
        atomic_write_text(path, fresh)
        typer.echo(f"wrote {path} ({len(fresh.splitlines())} lines)")

    app.add_typer(grammar, name="grammar")
