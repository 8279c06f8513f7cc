"""The eval harness: cases as data, per-case scoring, layer aggregates and gates,
reports, paired comparison and the bake-off."""

from josi.evals._baseline import (
    Baseline,
    baseline_path,
    load_baseline,
    regression_verdict,
    write_baseline,
)
from josi.evals._cases import (
    Case,
    case_problems,
    cases_dir,
    expand_context,
    load_cases,
    load_presets,
    parse_case,
)
from josi.evals._compare import compare_results, format_comparison, load_results
from josi.evals._guarantees import ROUTE_CHECKS, route_checks, route_violations
from josi.evals._metrics_registry import LAYERS, METRICS
from josi.evals._records import CaseRecord
from josi.evals._report import render_html, terminal_summary, write_report
from josi.evals._results import build_results, calibration, case_rule, record_summary
from josi.evals._runners import run_case, run_scripted
from josi.evals._sections import case_reason
from josi.evals._stats import (
    Interval,
    mcnemar_exact,
    mcnemar_one_sided,
    smallest_detectable_difference,
    wilson,
)
from josi.evals._thresholds import Bound, Gate, Thresholds, load_thresholds, threshold_profiles

__all__ = [
    "LAYERS",
    "METRICS",
    "ROUTE_CHECKS",
    "Baseline",
    "Bound",
    "Case",
    "CaseRecord",
    "Gate",
    "Interval",
    "Thresholds",
    "baseline_path",
    "build_results",
    "calibration",
    "case_problems",
    "case_reason",
    "case_rule",
    "cases_dir",
    "compare_results",
    "expand_context",
    "format_comparison",
    "load_baseline",
    "load_cases",
    "load_presets",
    "load_results",
    "load_thresholds",
    "mcnemar_exact",
    "mcnemar_one_sided",
    "parse_case",
    "record_summary",
    "regression_verdict",
    "render_html",
    "route_checks",
    "route_violations",
    "run_case",
    "run_scripted",
    "smallest_detectable_difference",
    "terminal_summary",
    "threshold_profiles",
    "wilson",
    "write_baseline",
    "write_report",
]
