"""The import graph: production packages in a straight line, rehearsal beside them, SQL in one
place.

Every import statement of every module is read with ``ast``, those inside functions (imported
lazily) included, so a dependency cannot hide from the check.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = ("ballotgen", "omr", "tally")
ALLOWED = {  # what each package may import of the project's own packages
    "ballotgen": set(),
    "omr": {"ballotgen"},
    "tally": {"ballotgen", "omr"},
    "rehearsal": {"ballotgen", "omr", "tally"},
}


def modules(package):
    return sorted((ROOT / package).rglob("*.py"))


def imported(path, package=None):
    """Every module name ``path`` imports, with the line of the import. ``package``: the
    dotted name of the module's package (by default, from where it lies in the project)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    if package is None:
        package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolved against the module's own package
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            yield name, node.lineno
            for alias in node.names:  # "from tally import cli" imports tally.cli
                yield f"{name}.{alias.name}", node.lineno


def own_package(name):
    top = name.split(".")[0]
    return top if top in ALLOWED else None


def test_every_package_has_modules():
    for package in ALLOWED:
        assert modules(package), package


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_packages_import_only_those_to_their_left(package):
    wrong = [f"{path.relative_to(ROOT)}:{line}: {name}"
             for path in modules(package) for name, line in imported(path)
             if own_package(name) not in (None, package) and
             own_package(name) not in ALLOWED[package]]
    assert not wrong, "\n".join(wrong)


def test_production_never_imports_rehearsal_not_even_lazily():
    found = [f"{path.relative_to(ROOT)}:{line}: {name}"
             for package in PRODUCTION for path in modules(package)
             for name, line in imported(path) if own_package(name) == "rehearsal"]
    assert not found, "\n".join(found)


def test_only_the_store_speaks_sql():
    users = sorted(str(path.relative_to(ROOT)) for package in (*PRODUCTION, "rehearsal")
                   for path in modules(package)
                   if any(name.split(".")[0] == "sqlite3" for name, _ in imported(path)))
    assert users == ["tally/store.py"]


def test_the_check_sees_lazy_and_relative_imports(tmp_path):
    """The checker itself: an import inside a function and a relative one are both found."""
    path = tmp_path / "probe.py"
    path.write_text("def f():\n    import rehearsal.vote\n\nfrom ..rehearsal import cli\n",
                    encoding="utf-8")
    names = {name for name, _ in imported(path, package="tally.review")}
    assert names == {"rehearsal.vote", "tally.rehearsal", "tally.rehearsal.cli"}
