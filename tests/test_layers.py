"""The tools are one stack (docs/tools.md): a module imports only from its own layer or a lower one
(lazy imports inside functions count too), so no import circle can run across layers; and no module
is over ~400 lines. Read with ``ast``, nothing imported."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tools" / "twolayer_tools"

LAYERS = {
    1: ("__init__", "errors", "fmt", "atomic", "options", "causes"),
    2: ("results", "asvconfig", "selection", "asvcmd", "hosts"),
    3: ("claims", "compare", "spread", "peak", "phases", "facts", "probe", "scaling", "release_lines",
        "timeline_model", "report_model", "report_explain", "answer_model"),
    4: ("timeline", "site", "report_md", "report_html", "report_plots", "answer_page", "site_offline",
        "site_vendor", "site_inputs", "site_assets", "pages", "site_docs", "site_notes", "site_publish",
        "site_sync"),
    5: ("cli", "__main__", "bench", "gate", "branch", "merge", "releases", "report"),
}
"""core, asv access, analysis, present, commands (docs/tools.md has the table)."""
LAYER = {module: layer for layer, modules in LAYERS.items() for module in modules}
NAMES = {1: "core", 2: "asv access", 3: "analysis", 4: "present", 5: "commands"}

KNOWN_UPWARD = {}
"""Imports against the layers that another branch removes (the site split): known, with the reason."""
KNOWN_LONG = {}
MAX_LINES = 420
"""~400 lines: a module past this is split."""


def modules():
    return sorted(p.stem for p in PACKAGE.glob("*.py"))


def imported_modules(name):
    """The package's modules that module `name` imports, anywhere in it (top level or in a function)."""
    tree = ast.parse((PACKAGE / f"{name}.py").read_text(encoding="utf-8"))
    found = set()
    package = set(modules())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            absolute = node.level == 0 and (node.module or "").split(".")[0] == "twolayer_tools"
            if node.level == 1 or absolute:
                base = (node.module or "").split(".")
                base = base[1:] if absolute else base
                if base and base[0]:
                    found.add(base[0])
                else:           # from . import a, b
                    found.update(a.name for a in node.names if a.name in package)
        elif isinstance(node, ast.Import):
            for a in node.names:
                parts = a.name.split(".")
                if parts[0] == "twolayer_tools" and len(parts) > 1:
                    found.add(parts[1])
    return found - {name}


def test_every_module_has_a_layer():
    missing = [m for m in modules() if m not in LAYER]
    assert not missing, f"modules without a layer (add them to LAYERS and docs/tools.md): {missing}"
    gone = [m for m in LAYER if m not in modules()]
    assert not gone, f"LAYERS names modules that do not exist: {gone}"


@pytest.mark.parametrize("name", modules())
def test_imports_run_down_the_layers(name):
    upward = []
    for other in sorted(imported_modules(name)):
        if other in LAYER and LAYER[other] > LAYER.get(name, 0) and (name, other) not in KNOWN_UPWARD:
            upward.append(f"{other} ({NAMES[LAYER[other]]})")
    assert not upward, f"{name} ({NAMES.get(LAYER.get(name))}) imports from a higher layer: {upward}"


def test_no_import_circle():
    """Even within one layer (the layers alone allow one there)."""
    graph = {m: imported_modules(m) & set(modules()) for m in modules()}
    for start in graph:
        seen, todo = set(), list(graph[start])
        while todo:
            m = todo.pop()
            if m == start:
                pytest.fail(f"an import circle runs through {start}")
            if m not in seen:
                seen.add(m)
                todo.extend(graph[m])


@pytest.mark.parametrize("name", modules())
def test_no_module_is_over_400_lines(name):
    lines = len((PACKAGE / f"{name}.py").read_text(encoding="utf-8").splitlines())
    if name in KNOWN_LONG:
        pytest.xfail(f"{name}.py {lines} lines: {KNOWN_LONG[name]}")
    assert lines <= MAX_LINES, f"{name}.py has {lines} lines: split it (docs/tools.md)"


def test_the_known_exceptions_are_still_real():
    """A known exception that no longer holds is removed from the list, so it cannot hide a new one."""
    for (name, other), why in KNOWN_UPWARD.items():
        assert other in imported_modules(name), f"{name} no longer imports {other}: drop it from KNOWN_UPWARD"
