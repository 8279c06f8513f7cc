"""The dataset's hash file: written by ``josi.data`` when it builds a dataset, read by training
to record what a run was trained on. Here, outside both, so training does not import the
generator (and with it the scorers) and a new scorer never invalidates a training run."""

from __future__ import annotations

from pathlib import Path

HASH_FILE = "dataset.sha256"
DATASET_LINE = "dataset"
_SEPARATOR = "  "  # sha256sum's: `sha256sum -c` reads the file lines


def hash_line(digest: str, name: str) -> str:
    """One line of the hash file: a file's (or, named DATASET_LINE, the dataset's) sha256."""
    return f"{digest}{_SEPARATOR}{name}"


def recorded_hash(directory: str | Path) -> str | None:
    """The dataset hash the build wrote (the `dataset` line of its hash file), if there is one."""
    path = Path(directory) / HASH_FILE
    if not path.is_file():
        return None
    for line in path.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition(_SEPARATOR)
        if name == DATASET_LINE:
            return digest
    return None
