"""The installed libraries that shape a trained or exported model's bytes.

Each is named, with its installed version, in the train and export stages' cache keys and in
every run's record: a library update is then a new build, never a reuse of one made with the old
version. The list goes beyond the libraries josi calls: ``tokenizers`` turns the rendered rows
into token ids, ``jinja2`` renders the chat template, ``accelerate`` and ``datasets`` order and
scale the batches, ``safetensors`` and ``numpy`` carry the weights into the converter.
``constraints.txt`` holds the versions of the whole environment the shipped build was made with.
"""

from __future__ import annotations

from importlib import metadata

WEIGHT_LIBRARIES = (
    "torch",
    "transformers",
    "tokenizers",
    "safetensors",
    "peft",
    "trl",
    "accelerate",
    "datasets",
    "numpy",
    "jinja2",
    "llama-cpp-python",
)
ABSENT = "absent"


def installed_versions() -> dict[str, str]:
    """Each weight library's installed version, or ``ABSENT``."""
    found = {}
    for name in WEIGHT_LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = ABSENT
    return found
