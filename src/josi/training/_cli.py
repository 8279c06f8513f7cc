"""``josi train``: SFT and DPO runs from a profile, plus profile inspection."""

from __future__ import annotations

import json
from pathlib import Path

import typer

_SET_HELP = "Override a profile knob, e.g. --set sft.max_steps=20 (repeatable)."


def register(app: typer.Typer) -> None:
    train = typer.Typer(
        help="Fine-tune a base model (LoRA SFT, then DPO) from a profile.", no_args_is_help=True
    )

    @train.command("sft")
    def sft(
        data: Path = typer.Option(..., "--data", help="Dataset directory from `josi data build`."),
        out: Path = typer.Option(
            ..., "--out", help="Run directory (checkpoints, adapter, run.json)."
        ),
        profile: str = typer.Option(
            "nano", "--profile", help="Profile name under profiles/ or a TOML path."
        ),
        mode: str = typer.Option(
            None, "--mode", help="joint (one model) | interpreter | coach | both (two adapters)."
        ),
        overrides: list[str] = typer.Option([], "--set", help=_SET_HELP),
        resume: bool = typer.Option(
            True, "--resume/--no-resume", help="Continue from the newest checkpoint."
        ),
    ) -> None:
        """Supervised LoRA fine-tuning; prints the adapter directory."""
        from josi.training import load_profile, train_sft

        loaded = load_profile(profile, overrides)
        typer.echo(str(train_sft(loaded, data, out, resume=resume, mode=mode)))

    @train.command("dpo")
    def dpo(
        data: Path = typer.Option(
            ..., "--data", help="Dataset directory with preferences.{train,val}.jsonl."
        ),
        adapter: Path = typer.Option(..., "--adapter", help="SFT adapter directory to start from."),
        out: Path = typer.Option(..., "--out", help="Run directory for the DPO adapter."),
        profile: str = typer.Option("nano", "--profile", help="Profile name or TOML path."),
        overrides: list[str] = typer.Option([], "--set", help=_SET_HELP),
        resume: bool = typer.Option(True, "--resume/--no-resume"),
    ) -> None:
        """Preference tuning (DPO) from an SFT adapter; prints the new adapter directory."""
        from josi.training import load_profile, train_dpo

        loaded = load_profile(profile, overrides)
        typer.echo(str(train_dpo(loaded, data, adapter, out, resume=resume)))

    @train.command("base")
    def base(
        profile: str = typer.Option("nano", "--profile"),
        overrides: list[str] = typer.Option([], "--set", help=_SET_HELP),
    ) -> None:
        """Prepare (and cache) the base checkpoint; prints its location."""
        from josi.training import ensure_base_checkpoint, load_profile

        typer.echo(str(ensure_base_checkpoint(load_profile(profile, overrides))))

    @train.command("profile")
    def show(
        profile: str = typer.Option("nano", "--profile"),
        overrides: list[str] = typer.Option([], "--set", help=_SET_HELP),
    ) -> None:
        """Print the resolved profile (after overrides) and its config hash as JSON."""
        from josi.training import load_profile

        loaded = load_profile(profile, overrides)
        typer.echo(json.dumps({**loaded.to_dict(), "config_hash": loaded.config_hash()}, indent=2))

    @train.command("profiles")
    def profiles() -> None:
        """List the available profiles."""
        from josi.training import profile_names

        for name in profile_names():
            typer.echo(name)

    app.add_typer(train, name="train")
