"""Export: merge LoRA, convert with llama.cpp's converter, quantize, manifests, downloads."""

from __future__ import annotations

from josi.export._download import DownloadError, download, download_from_manifest
from josi.export._export import convert_adapter, convert_to_gguf, export, merge_adapter
from josi.export._gguf import gguf_version, patch_gguf_v2, read_gguf
from josi.export._llamacpp import converter_dir, llama_cpp_version, quantize
from josi.export._manifest import (
    manifest_path,
    read_manifest,
    verify_before_load,
    verify_manifest,
    write_manifest,
)

__all__ = [
    "DownloadError",
    "convert_adapter",
    "convert_to_gguf",
    "converter_dir",
    "download",
    "download_from_manifest",
    "export",
    "gguf_version",
    "llama_cpp_version",
    "manifest_path",
    "merge_adapter",
    "patch_gguf_v2",
    "quantize",
    "read_gguf",
    "read_manifest",
    "verify_before_load",
    "verify_manifest",
    "write_manifest",
]
