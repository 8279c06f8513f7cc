"""The import graph of josi's subpackages: no cycles, and only public surfaces across them.

Every module under src/josi is parsed, never imported, so imports inside function bodies
count as much as those at the top. A node is a top-level subpackage (``josi.postprocess``)
or top-level module (``josi/cli.py`` is ``cli``); ``josi/__init__.py`` is ``josi``.

A subpackage's private modules (``josi.postprocess._sport``) are its own: another
subpackage imports what the owner's ``__init__`` exports. The top-level private modules
(``josi._errors``, ``josi._io``, ``josi._lazy``, ``josi._progress``, ``josi._resources``)
are the package's shared internals and may be imported from anywhere.
"""

from __future__ import annotations

import ast
import graphlib
import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

SRC = Path(__file__).resolve().parents[3] / "src" / "josi"


@dataclass
class ImportGraph:
    # (importer node, imported node) -> the modules that make the edge
    edges: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    # (importing module, private name it reaches in another subpackage)
    private: set[tuple[str, str]] = field(default_factory=set)

    def cycle(self) -> list[str]:
        """One cycle as a node path that returns to its start, or [] when there is none."""
        graph: dict[str, set[str]] = defaultdict(set)
        for source, target in self.edges:
            graph[source].add(target)
        try:
            graphlib.TopologicalSorter(graph).prepare()
        except graphlib.CycleError as exc:
            # graphlib lists the cycle with each node pointing at the one before it.
            return list(reversed(exc.args[1]))
        return []

    def explain(self, path: list[str]) -> str:
        return "\n".join(
            f"  {a} -> {b}: {', '.join(sorted(self.edges[(a, b)]))}"
            for a, b in itertools.pairwise(path)
        )


def _module(path: Path, root: Path) -> list[str]:
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return parts[:-1] if parts[-1] == "__init__" else parts


def _targets(node: ast.AST, module: list[str], is_package: bool) -> list[str]:
    """Dotted names one import statement reaches; ``from m import a`` reaches ``m.a``."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base: list[str] = []
    if node.level:
        package = module if is_package else module[:-1]
        base = package[: len(package) - node.level + 1]
    name = ".".join(base + ([node.module] if node.module else []))
    return [f"{name}.{alias.name}" for alias in node.names]


def import_graph(root: Path) -> ImportGraph:
    nodes = {p.name for p in root.iterdir() if (p / "__init__.py").is_file()}
    nodes |= {p.stem for p in root.glob("*.py") if p.name != "__init__.py"}

    def node_of(parts: list[str]) -> str:
        return parts[1] if len(parts) > 1 and parts[1] in nodes else root.name

    graph = ImportGraph()
    for path in sorted(root.rglob("*.py")):
        module = _module(path, root)
        source = node_of(module)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for statement in ast.walk(tree):
            for target in _targets(statement, module, path.name == "__init__.py"):
                parts = target.split(".")
                if parts[0] != root.name or node_of(parts) == source:
                    continue
                graph.edges[(source, node_of(parts))].add(".".join(module))
                if any(p.startswith("_") and not p.startswith("__") for p in parts[2:]):
                    graph.private.add((".".join(module), target))
    return graph


def test_subpackages_import_each_other_without_cycles() -> None:
    graph = import_graph(SRC)
    path = graph.cycle()
    assert not path, (
        f"import cycle {' -> '.join(path)}; move what they share to a layer below them:\n"
        f"{graph.explain(path)}"
    )


def test_no_module_imports_another_subpackages_private_module() -> None:
    offenders = sorted(import_graph(SRC).private)
    assert not offenders, (
        "import these from the owning subpackage's __init__ (re-export them there):\n"
        + "\n".join(f"  {module} imports {target}" for module, target in offenders)
    )


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_the_checker_finds_a_cycle_and_a_private_import(tmp_path: Path) -> None:
    root = _write(
        tmp_path / "josi",
        {
            "__init__.py": "",
            "_io.py": "",
            "low/__init__.py": "from josi import _io\nfrom josi.low._impl import helper\n",
            "low/_impl.py": "def helper():\n    from josi.high._secret import x\n    return x\n",
            "high/__init__.py": "from . import _secret\nfrom josi.mid import step\n",
            "high/_secret.py": "import josi._io\n",
            "mid/__init__.py": "from josi.low import helper as step\n",
        },
    )
    graph = import_graph(root)
    cycle = graph.cycle()
    # The same cycle may be reported from any of its nodes, always in import order.
    start = cycle.index("low")
    assert cycle[start:] + cycle[1 : start + 1] == ["low", "high", "mid", "low"]
    assert "low -> high: josi.low._impl" in graph.explain(cycle)
    assert graph.private == {("josi.low._impl", "josi.high._secret.x")}
    assert ("low", "_io") in graph.edges and ("high", "_io") in graph.edges


def test_the_checker_passes_a_layered_tree(tmp_path: Path) -> None:
    root = _write(
        tmp_path / "josi",
        {
            "__init__.py": "from josi.high import run\n",
            "low/__init__.py": "from josi.low._impl import helper\n",
            "low/_impl.py": "def helper():\n    return 1\n",
            "high/__init__.py": "from josi.low import helper as run\n",
        },
    )
    graph = import_graph(root)
    assert graph.cycle() == [] and graph.private == set()
    assert set(graph.edges) == {("josi", "high"), ("high", "low")}
