"""What the served-model benchmarks share: their command line and the model they serve."""

from __future__ import annotations

import argparse
from pathlib import Path


def parser(doc: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--gguf", type=Path, help="GGUF to serve (default: the nano Q4_K_M, built on demand)"
    )
    parser.add_argument("--out", type=Path, required=True, help="JSON results file")
    return parser


def model(gguf: Path | None) -> Path:
    """The given GGUF, or the nano build's (built on demand; never downloaded)."""
    if gguf is not None:
        return gguf
    from josi.pipeline import default_gguf

    return default_gguf()
