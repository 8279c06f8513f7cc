"""What the held-out benchmarks share: their command line, the rows of a split, the model to
measure."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def parser(doc: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--gguf", type=Path, help="GGUF to measure (default: the nano Q4_K_M, built on demand)"
    )
    parser.add_argument("--data", type=Path, help="dataset directory (default: the nano build's)")
    parser.add_argument("--out", type=Path, required=True, help="JSON results file")
    parser.add_argument("--rows", type=int, default=None, help="first N held-out rows only")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument(
        "--held-out-in",
        type=Path,
        default=None,
        metavar="DIR",
        help="also report the rows this other dataset holds out too (same row id in the same "
        "split): two models trained on different builds, compared on rows neither trained on",
    )
    return parser


def add_split_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--split",
        choices=("test", "val"),
        default="test",
        help="test: the held-out split, what a model is reported on; val: the validation split, "
        "what a recipe is chosen on",
    )


def refuse_output_over_inputs(out: Path, *inputs: Path | None) -> None:
    """Stop, before any work, when ``out`` is one of ``inputs`` (a GGUF, a split file, a requests
    or results file) or cannot be written: the results would replace what they were read from."""
    from josi._errors import ConfigError
    from josi.runtime._batch import check_output

    try:
        check_output(out, [path for path in inputs if path is not None])
    except ConfigError as exc:
        raise SystemExit(str(exc)) from None


def model_and_data(
    gguf: Path | None,
    data_dir: Path | None,
    *,
    out: Path,
    split_files: tuple[str, ...],
    also_read: tuple[Path | None, ...] = (),
) -> tuple[Path, Path]:
    """The given GGUF and dataset, or the nano build's (built on demand; never downloaded).

    ``out`` may be none of what the benchmark reads: the GGUF, the dataset's ``split_files`` and
    ``also_read``. Checked before the build with what was given, and again once the build has
    named the rest."""
    given = [gguf, *also_read, *(data_dir / name for name in split_files if data_dir)]
    refuse_output_over_inputs(out, *given)
    if gguf is None or data_dir is None:
        from josi.pipeline import build

        built = build("nano", until="export" if gguf is None else "data")
        data_dir = data_dir or built.data_dir
        gguf = gguf or built.gguf()
        refuse_output_over_inputs(out, gguf, *(data_dir / name for name in split_files))
    return gguf, data_dir


def split_rows(data_dir: Path, file_name: str, limit: int | None) -> list[dict[str, Any]]:
    path = data_dir / file_name
    if not path.is_file():
        raise SystemExit(f"{path} not found: pass --data with a directory from `josi data build`")
    from josi._io import read_jsonl

    rows = read_jsonl(path)
    return rows[:limit] if limit else rows


def held_out_by_both(rows: list[dict[str, Any]], other_dir: Path, file_name: str) -> list[bool]:
    """For each of ``rows``, whether the other dataset's ``file_name`` holds it as well.

    A row id hashes everything the model sees and must produce, and a phrasing group never
    crosses splits, so a row in the held-out split of both builds is a phrasing neither model
    trained on."""
    other = {row["id"] for row in split_rows(other_dir, file_name, None)}
    return [row["id"] in other for row in rows]


def measure(config: Any, rows: list[dict[str, Any]], score_row: Any) -> list[dict[str, Any]]:
    """``score_row(runtime, row)`` for every row, with one runtime loaded from ``config``."""
    from josi.runtime import JosiRuntime

    runtime = JosiRuntime(config)
    try:
        return [score_row(runtime, row) for row in rows]
    finally:
        runtime.close()


def write_results(path: Path, results: dict[str, Any], started: float) -> None:
    """``results`` with the run's wall time and date, written atomically to ``path``."""
    import time

    from josi._io import atomic_write_json

    results["wall_s"] = round(time.perf_counter() - started, 1)
    results["created"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    atomic_write_json(path, results)
