"""The dependency direction of docs/architecture.md, read from the code's own imports.

screens (api, live, staff, displays, kiosk, and appointments' pages) and the scheduler (jobs)
  -> appointments -> queueing; demo and config above them all.

The imports of every module (migrations and tests left out) are parsed, not
imported, so a lazy import inside a function counts too.
"""

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ["queueing", "appointments", "api", "live", "staff", "displays", "kiosk", "congestion",
        "jobs", "demo", "config"]
# The modules of appointments that are screens (its booking pages), not its domain.
APPOINTMENT_PAGES = {"appointments.views", "appointments.urls", "appointments.forms",
                     "appointments.admin"}
LAYER = {"queueing": 0, "appointments": 1, "api": 2, "live": 2, "staff": 2, "displays": 2,
         "kiosk": 2, "congestion": 2, "jobs": 2, "demo": 3, "config": 4}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_imports() -> dict[str, set[str]]:
    """Module -> the project modules it imports (absolute names)."""
    found: dict[str, set[str]] = defaultdict(set)
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = module_name(path)
            package = name if path.name == "__init__.py" else name.rpartition(".")[0]
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                targets = []
                if isinstance(node, ast.Import):
                    targets = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    base = node.module or ""
                    if node.level:
                        anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                        base = ".".join([*anchor, base] if base else anchor)
                    targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
                for target in targets:
                    if target.split(".")[0] in APPS:
                        found[name].add(target)
    return found


def app_of(module: str) -> str:
    return module.split(".")[0]


def layer_of(module: str) -> int:
    if module in APPOINTMENT_PAGES or any(module.startswith(p + ".") for p in APPOINTMENT_PAGES):
        return LAYER["api"]  # a screen
    return LAYER[app_of(module)]


def test_the_parser_sees_the_imports_it_judges():
    imports = project_imports()
    assert "queueing.services" in imports["api.tickets"]
    assert "queueing.events" in imports["queueing.models"]  # a relative import, resolved
    assert "appointments.services" in imports["api.bookings"]


def test_the_core_imports_no_other_app():
    for module, targets in project_imports().items():
        if app_of(module) == "queueing":
            others = {t for t in targets if app_of(t) != "queueing"}
            assert not others, f"{module} imports {sorted(others)}"


def test_no_module_imports_a_higher_layer():
    wrong = []
    for module, targets in project_imports().items():
        for target in targets:
            if app_of(target) != app_of(module) and layer_of(target) > layer_of(module):
                wrong.append(f"{module} -> {target}")
    assert not wrong, "\n".join(sorted(wrong))


def part_of(module: str) -> str:
    """The app, with appointments' pages apart from its domain (they are a screen)."""
    if layer_of(module) == LAYER["api"] and app_of(module) == "appointments":
        return "appointments pages"
    return app_of(module)


def test_the_apps_import_each_other_without_a_circle():
    edges: dict[str, set[str]] = defaultdict(set)
    for module, targets in project_imports().items():
        for target in targets:
            if part_of(target) != part_of(module):
                edges[part_of(module)].add(part_of(target))

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt}))
                   for nxt in edges.get(start, ()))

    circles = [part for part in list(edges) if reaches(part, part, {part})]
    assert not circles, {part: sorted(edges[part]) for part in circles}
