"""The eval harness: cases as data, per-case scoring, layer aggregates and gates,
reports, paired comparison and the bake-off."""

from josi.evals._cases import Case, case_problems, expand_context, load_cases, load_presets, parse_case
from josi.evals._compare import compare_results, format_comparison, load_results, mcnemar_exact
from josi.evals._evaluate import CaseRecord, code_path, level_cap, route_violations, run_case
from josi.evals._metrics_registry import LAYERS, METRICS
from josi.evals._report import render_html, terminal_summary, write_report
from josi.evals._results import build_results, calibration, record_summary
from josi.evals._thresholds import Bound, Gate, Thresholds, load_thresholds, threshold_profiles

__all__ = [
    "LAYERS",
    "METRICS",
    "Bound",
    "Case",
    "CaseRecord",
    "Gate",
    "Thresholds",
    "build_results",
    "calibration",
    "case_problems",
    "code_path",
    "compare_results",
    "expand_context",
    "format_comparison",
    "level_cap",
    "load_cases",
    "load_presets",
    "load_results",
    "load_thresholds",
    "mcnemar_exact",
    "parse_case",
    "record_summary",
    "render_html",
    "route_violations",
    "run_case",
    "terminal_summary",
    "threshold_profiles",
    "write_report",
]
