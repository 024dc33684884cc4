"""Does every commit of a POST view matter to some test? (`make mutate-commits`)

Finds each `db.session.commit()` inside a view function that handles POST
(`app/*/views.py`), removes it in a copy of the tree, one at a time, and runs the tests: the
feature's own test files first, then the rest, both with -x, stopping at the first failure.
Prints one row per commit: the view, the line and the first test that failed, or NOT CAUGHT.

    python -m tests.mutate_commits                  # every POST-view commit, no browser tests
    python -m tests.mutate_commits checkins admin   # only these features
    python -m tests.mutate_commits --list           # only the table of commits, no test runs
"""

import argparse
import ast
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Test files of a feature beyond tests/test_<feature>*.py and its singular.
EXTRA_TESTS = {
    "auth": ["test_foundation.py", "test_admin.py"],
    "reports": ["test_exports.py"],
    "api": ["test_openapi_schemathesis.py"],
    "checkins": ["test_followup_rules.py"],
}
IGNORED = {".git", ".venv", "instance", "__pycache__", ".pytest_cache", ".ruff_cache"}


@dataclass
class Commit:
    feature: str
    path: Path  # relative to the tree
    view: str
    line: int
    col: int
    end_col: int


def _handles_post(decorator: ast.expr) -> bool:
    if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)):
        return False
    if decorator.func.attr == "post":
        return True
    if decorator.func.attr != "route":
        return False
    for keyword in decorator.keywords:
        if keyword.arg == "methods" and isinstance(keyword.value, ast.List | ast.Tuple):
            return any(isinstance(e, ast.Constant) and e.value == "POST"
                       for e in keyword.value.elts)
    return False


def _is_commit(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and not node.args
            and ast.unparse(node.func) == "db.session.commit")


def find_commits(root: Path = ROOT) -> list[Commit]:
    """Commits in POST views, and in the module's own undecorated helpers such a view calls
    (`_save(form)`): those commit for the view just the same."""
    found = []
    for path in sorted(root.glob("app/*/views.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
        views = [f for f in functions if any(_handles_post(d) for d in f.decorator_list)]
        callers: dict[str, str] = {}
        for view in views:
            for call in ast.walk(view):
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Name):
                    callers.setdefault(call.func.id, view.name)
        helpers = [f for f in functions if not f.decorator_list and f.name in callers]
        for function in [*views, *helpers]:
            label = (function.name if function in views
                     else f"{function.name} (from {callers[function.name]})")
            for call in ast.walk(function):
                if _is_commit(call) and call.lineno == call.end_lineno:
                    found.append(Commit(path.parent.name, path.relative_to(root), label,
                                        call.lineno, call.col_offset, call.end_col_offset))
    return sorted(found, key=lambda c: (str(c.path), c.line))


def feature_tests(tree: Path, feature: str) -> list[str]:
    stems = {feature, feature.removesuffix("s")}
    names = {p.name for stem in stems for p in (tree / "tests").glob(f"test_{stem}*.py")}
    names.update(n for n in EXTRA_TESTS.get(feature, []) if (tree / "tests" / n).exists())
    return sorted(f"tests/{name}" for name in names)


FAILED = re.compile(r"^(?:FAILED|ERROR) (.+?)(?: - .*)?$", re.M)


def run_tests(tree: Path, args: list[str], marks: str) -> str | None:
    """The first failing test of this run, or None when everything passed."""
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
               "-m", marks, *args]
    # The copy's own `app` package comes first, not the editable install of the checkout.
    env = dict(os.environ, PYTHONPATH=str(tree), HOUVAST_INSTANCE_PATH=str(tree / "instance"))
    result = subprocess.run(command, cwd=tree, env=env, capture_output=True,  # noqa: S603 (own interpreter, fixed arguments)
                            text=True, check=False)
    if result.returncode == 0:
        return None
    match = FAILED.search(result.stdout)
    if match:
        return match.group(1)
    tail = (result.stdout + result.stderr).strip().splitlines()[-3:]
    return f"pytest exit {result.returncode}: {' | '.join(tail)}"


def first_failure(tree: Path, commit: Commit, marks: str) -> str:
    own = feature_tests(tree, commit.feature)
    if own:
        failed = run_tests(tree, own, marks)
        if failed:
            return failed
    rest = [arg for name in own for arg in ("--ignore", name)]
    return run_tests(tree, ["tests", *rest], marks) or "NOT CAUGHT"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("features", nargs="*", help="only the views of these features")
    parser.add_argument("--list", action="store_true", help="list the commits, run nothing")
    parser.add_argument("--line", action="append", default=[], metavar="FILE:LINE",
                        help="only this commit, e.g. app/checkins/views.py:80")
    parser.add_argument("-m", dest="marks", default="not browser",
                        help='pytest -m expression (default: "not browser")')
    options = parser.parse_args(argv)

    commits = [c for c in find_commits()
               if (not options.features or c.feature in options.features)
               and (not options.line or f"{c.path}:{c.line}" in options.line)]
    width = max((len(f"{c.path}:{c.line} {c.view}") for c in commits), default=0)
    if options.list:
        for c in commits:
            print(f"{f'{c.path}:{c.line} {c.view}':<{width}}")
        return 0

    uncaught = 0
    with tempfile.TemporaryDirectory(prefix="houvast-mutate-") as temp:
        tree = Path(temp) / "tree"
        shutil.copytree(ROOT, tree, ignore=lambda _d, names: [n for n in names if n in IGNORED])
        print(f"{'view':<{width}}  first failing test", flush=True)
        for c in commits:
            source = tree / c.path
            original = source.read_text(encoding="utf-8")
            lines = original.split("\n")
            line = lines[c.line - 1]
            # `None` keeps the statement (and any block it is alone in) valid Python.
            lines[c.line - 1] = line[:c.col] + "None" + line[c.end_col:]
            source.write_text("\n".join(lines), encoding="utf-8")
            try:
                verdict = first_failure(tree, c, options.marks)
            finally:
                source.write_text(original, encoding="utf-8")
            uncaught += verdict == "NOT CAUGHT"
            print(f"{f'{c.path}:{c.line} {c.view}':<{width}}  {verdict}", flush=True)
    print(f"{len(commits)} commits, {uncaught} not caught")
    return 1 if uncaught else 0


if __name__ == "__main__":
    sys.exit(main())
