"""``josi export`` and ``josi download``: GGUF artifacts with manifests, and verified downloads."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    export = typer.Typer(
        help="Merge, convert and quantize a trained adapter into GGUF files.", no_args_is_help=True
    )

    @export.command("gguf")
    def gguf(
        adapter: Path = typer.Option(
            ..., "--adapter", help="LoRA adapter or full checkpoint directory (from `josi train`)."
        ),
        out: Path = typer.Option(..., "--out", help="Directory for the GGUF files and manifests."),
        profile: str = typer.Option("nano", "--profile"),
        quant: list[str] = typer.Option(
            [], "--quant", help="Q4_K_M (default), Q8_0, F16, ... (repeatable)."
        ),
        overrides: list[str] = typer.Option(
            [], "--set", help="Override a profile knob (repeatable)."
        ),
        v2: bool = typer.Option(
            None, "--v2/--no-v2", help="Also write GGUF v2 copies for old runtimes."
        ),
        adapter_gguf: bool = typer.Option(
            None, "--adapter-gguf/--no-adapter-gguf", help="Also convert the LoRA."
        ),
        dataset_hash: str = typer.Option(
            None, "--dataset-hash", help="Defaults to the run record's data hash."
        ),
    ) -> None:
        """Export a trained adapter or full checkpoint; prints each artifact path."""
        from josi.export import export as run_export
        from josi.training import load_profile

        loaded = load_profile(profile, overrides)
        paths = run_export(
            loaded,
            adapter,
            out,
            tuple(quant) or None,
            dataset_hash=dataset_hash,
            gguf_v2=v2,
            adapter_gguf=adapter_gguf,
        )
        for path in paths:
            typer.echo(f"{path}  ({path.stat().st_size / 1e6:.1f} MB)")

    @export.command("patch-v2")
    def patch_v2(
        src: Path = typer.Argument(..., help="GGUF v3 file."),
        dst: Path = typer.Argument(..., help="Output path (written atomically)."),
    ) -> None:
        """Copy a GGUF with its header version set to 2 (weights unchanged)."""
        from josi.export import patch_gguf_v2

        typer.echo(str(patch_gguf_v2(src, dst)))

    @export.command("verify")
    def verify(
        paths: list[Path] = typer.Argument(..., help="Artifacts or their .manifest.json files."),
    ) -> None:
        """Check artifacts against their manifests (exit 2 on any mismatch)."""
        from josi.export import verify_manifest

        for path in paths:
            data = verify_manifest(path)
            typer.echo(f"ok  {data['file']}  {data['sha256'][:16]}")

    @export.command("inspect")
    def inspect(path: Path = typer.Argument(..., help="A GGUF file.")) -> None:
        """Print a GGUF's header facts (version, architecture, pre-tokenizer, template hash)."""
        from josi.export import read_gguf

        meta = read_gguf(path)
        for key in (
            "version",
            "architecture",
            "file_type",
            "pre_tokenizer",
            "chat_template_sha256",
            "bos_token_id",
            "eos_token_id",
            "padding_token_id",
            "add_bos_token",
            "tensor_count",
        ):
            typer.echo(f"{key}: {meta[key]}")

    app.add_typer(export, name="export")

    @app.command("download")
    def download(
        url: str = typer.Argument(None, help="File URL (or, with --manifest, the base URL)."),
        dest: Path = typer.Option(
            ..., "--dest", help="Target file, or directory when using --manifest."
        ),
        sha256: str = typer.Option(None, "--sha256", help="Expected sha256 of the file."),
        manifest: Path = typer.Option(
            None, "--manifest", help="Manifest naming the file, size and sha256."
        ),
        allow_unverified: bool = typer.Option(
            False,
            "--allow-unverified",
            help="Accept a file with no sha256 from a server that sends no Content-Length "
            "(a transfer that ends early then goes unnoticed).",
        ),
    ) -> None:
        """Resumable, sha256-verified download; the previous file stays on any failure."""
        from josi._errors import ConfigError
        from josi._progress import Progress
        from josi.export import download as fetch
        from josi.export import download_from_manifest

        bar = Progress(None, unit="MB", scale=1e6, per="s", plain_every_s=None, delay_s=1.0)

        def progress(done: int, total: int | None) -> None:
            bar.total = total
            bar.update(done)

        try:
            if manifest is not None:
                path = download_from_manifest(
                    manifest, dest, url, progress=progress, allow_unverified=allow_unverified
                )
            elif not url:
                raise ConfigError("give a URL or --manifest")
            else:
                path = fetch(
                    url, dest, sha256, progress=progress, allow_unverified=allow_unverified
                )
        finally:
            bar.close()
        typer.echo(str(path))
