"""Dataset generation, hygiene, splitting and statistics."""

from josi._stamp import recorded_hash
from josi.data._athlete import written_requests_path
from josi.data._build import BuildConfig, build_dataset, write_dataset
from josi.data._load import load_split
from josi.data._stats import compute_stats, dataset_hash, format_stats

__all__ = [
    "BuildConfig",
    "build_dataset",
    "compute_stats",
    "dataset_hash",
    "format_stats",
    "load_split",
    "recorded_hash",
    "write_dataset",
    "written_requests_path",
]
