"""``josi run`` (batch turns) and ``josi chat`` (terminal conversation)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from josi._errors import ConfigError, JosiError


def _runtime_options(
    gguf: Path,
    n_ctx: int,
    seed: int,
    threads: int | None,
    deterministic: bool,
    no_grammar: bool,
    no_prefix_cache: bool,
    prompt_style: str | None,
    no_verify: bool,
    n_gpu_layers: int = 0,
    endpoint: str | None = None,
) -> Any:
    from josi.runtime._config import RuntimeConfig

    return RuntimeConfig(
        gguf=gguf,
        n_ctx=n_ctx,
        seed=seed,
        n_threads=threads,
        deterministic=deterministic,
        use_grammar=not no_grammar,
        prefix_cache=not no_prefix_cache,
        prompt_style=prompt_style,
        verify=not no_verify,
        n_gpu_layers=n_gpu_layers,
        endpoint=endpoint,
    )


_GGUF = typer.Option(..., "--gguf", help="The GGUF model file.", dir_okay=False)
_N_CTX = typer.Option(4096, "--n-ctx", help="Context size in tokens (v6: 4096).")
_SEED = typer.Option(0, "--seed", help="Base sampling seed.")
_THREADS = typer.Option(None, "--threads", help="CPU threads (default: llama.cpp's choice).")
_GPU_LAYERS = typer.Option(
    0, "--n-gpu-layers", help="Layers offloaded to the GPU (-1: all; needs a GPU build)."
)
_DET = typer.Option(False, "--deterministic", help="Greedy decoding (temperature 0).")
_NO_GRAMMAR = typer.Option(False, "--no-grammar", help="Interpreter without the GBNF grammar.")
_NO_CACHE = typer.Option(False, "--no-prefix-cache", help="Re-evaluate every prompt from scratch.")
_STYLE = typer.Option(
    None, "--prompt-style", help="full or compact (default: the GGUF's manifest, else full)."
)
_ENDPOINT = typer.Option(
    None,
    "--endpoint",
    help="Run the model on this OpenAI-compatible server (llama-server, llama-cpp-python, "
    "vLLM) instead of in-process; --gguf is still read for its template and vocabulary "
    "(docs/served.md).",
)
_NO_VERIFY = typer.Option(
    False, "--no-verify", help="Load the GGUF without checking it against its manifest's sha256."
)


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run(
        gguf: Path = _GGUF,
        input: Path = typer.Option(
            ..., "--input", help="JSONL: message, context, optional history and id."
        ),
        output: Path = typer.Option(..., "--output", help="JSONL results, written atomically."),
        limit: int | None = typer.Option(None, "--limit", help="Run at most this many cases."),
        resume: bool = typer.Option(
            False, "--resume", help="Continue an interrupted run from OUTPUT.partial."
        ),
        encoding_errors: str = typer.Option(
            "strict",
            "--encoding-errors",
            help="strict: non-UTF-8 input is an error; "
            "replace: read it with U+FFFD, with a warning.",
        ),
        n_ctx: int = _N_CTX,
        seed: int = _SEED,
        threads: int | None = _THREADS,
        deterministic: bool = _DET,
        no_grammar: bool = _NO_GRAMMAR,
        no_prefix_cache: bool = _NO_CACHE,
        prompt_style: str | None = _STYLE,
        no_verify: bool = _NO_VERIFY,
        n_gpu_layers: int = _GPU_LAYERS,
        endpoint: str | None = _ENDPOINT,
    ) -> None:
        """Run v6 turns for every case in a JSONL file; bad rows are reported and skipped."""
        from josi._progress import Progress
        from josi.runtime._batch import execute_batch, plan_batch
        from josi.runtime._config import manifest_path
        from josi.runtime._runtime import JosiRuntime

        def report(message: str) -> None:
            typer.echo(message, err=True)

        # Paths and rows are checked before the model loads, so a mistake costs no model time.
        plan = plan_batch(
            input,
            output,
            report=report,
            protect=(gguf, manifest_path(gguf)),
            limit=limit,
            resume=resume,
            encoding_errors=encoding_errors,
        )
        if not plan.todo and not plan.resumed:
            # An error, not typer.Exit: the top-level entry point turns errors into exit code 2.
            raise JosiError(f"no valid case in {input}; {output} left as it was")
        config = _runtime_options(
            gguf,
            n_ctx,
            seed,
            threads,
            deterministic,
            no_grammar,
            no_prefix_cache,
            prompt_style,
            no_verify,
            n_gpu_layers,
            endpoint,
        )
        with JosiRuntime(config) as runtime:
            summary = execute_batch(
                runtime, plan, report=report, progress=Progress(len(plan.todo), unit="cases")
            )
        if summary.succeeded == 0:
            raise JosiError(f"no case in {input} succeeded; {output} left as it was")
        typer.echo(
            f"{summary.succeeded}/{summary.rows} cases -> {output} "
            f"({summary.skipped} skipped, {summary.wall_s:.1f}s, "
            f"{summary.cases_per_min:.1f} cases/min)",
            err=True,
        )

    @app.command("chat")
    def chat(
        gguf: Path = _GGUF,
        context: Path | None = typer.Option(None, "--context", help="A ChatContext JSON file."),
        tier: str | None = typer.Option(None, "--tier", help="monitor, advisor or coach."),
        persona: str | None = typer.Option(
            None, "--persona", help="balanced, direct, technical or encouraging."
        ),
        readiness: str | None = typer.Option(
            None, "--readiness", help="Green, Yellow, Orange or Red."
        ),
        n_ctx: int = _N_CTX,
        seed: int = _SEED,
        threads: int | None = _THREADS,
        deterministic: bool = _DET,
        no_grammar: bool = _NO_GRAMMAR,
        prompt_style: str | None = _STYLE,
        no_verify: bool = _NO_VERIFY,
        n_gpu_layers: int = _GPU_LAYERS,
        endpoint: str | None = _ENDPOINT,
    ) -> None:
        """Talk to the model in the terminal; the route decision is shown in dim text."""
        from josi._io import read_text
        from josi.runtime._chat import chat_loop, default_context, set_path
        from josi.runtime._runtime import JosiRuntime

        if context is not None:
            try:
                ctx = json.loads(read_text(context))
            except (OSError, json.JSONDecodeError) as exc:
                raise ConfigError(f"cannot read the context file {context}: {exc}") from exc
            if not isinstance(ctx, dict):
                # --tier and friends set keys in it; a list or a number would be a TypeError.
                raise ConfigError(
                    f"the context file {context} must hold a JSON object (a ChatContext)"
                )
        else:
            ctx = default_context()
        for key, value in (("tier", tier), ("persona", persona), ("readiness", readiness)):
            if value is not None:
                ctx = set_path(ctx, f"{key}={value}")
        from josi.contracts import validate_context

        validate_context(ctx)
        config = _runtime_options(
            gguf,
            n_ctx,
            seed,
            threads,
            deterministic,
            no_grammar,
            False,
            prompt_style,
            no_verify,
            n_gpu_layers,
            endpoint,
        )
        with JosiRuntime(config) as runtime:
            chat_loop(
                runtime,
                ctx,
                read=input,
                write=typer.echo,
                dim=lambda text: typer.style(text, dim=True),
            )
