"""The shape every service keeps, checked on the import graph.

Services depend on `schemas/`, `services/common/` (infrastructure) and `services/domain/` (domain
more than one service shares), never on each other; common never reaches up into the domain; no
module of a service imports itself back through another (a cycle); web routes leave publishing to the
unit of work instead of writing to the outbox themselves; only the unit of work, the relay and
the notifier's delivery log write the outbox, and only the relay and the delivery log write on a
database's direct connection; repositories never commit; and the domain's rules (escalation, the
triage engine, change detection, the roll-call aggregate, the notifier's choice of recipients)
reach no database, broker or metrics code, even through the modules they import.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[2] / "services"
ISOLATED = ("common", "domain", "ingester", "triage", "notifier", "duty", "response")
# What each layer may import besides itself: infrastructure stands alone, the shared domain on
# it, the services on both.
LAYERS: dict[str, set[str]] = {"common": set(), "domain": {"services.common"}}
SERVICE_DEPENDS_ON = {"services.common", "services.domain"}
OUTBOX = "services.common.outbox"
# The domain's rules, kept pure: testable without a database, a broker or a metric.
PURE = (
    "services.duty.escalation",
    "services.duty.states",
    "services.triage.engine",
    "services.ingester.changes",
    "services.response.aggregate",
    "services.response.lifecycle",
    "services.response.rollcall",
    "services.notifier.recipients",
    "services.notifier.preferences",
    "services.notifier.local_time",
    "services.notifier.personal",
    "services.notifier.compose",
    "services.notifier.rendering",
)
# What a pure module may not reach, even through another module it imports.
IMPURE = (
    "sqlalchemy",
    "aiokafka",
    "faststream",
    "prometheus_client",
    "httpx",
    "aiosmtplib",
    "fastapi",
    "services.common.db",
    "services.common.outbox",
    "services.common.unit_of_work",
    "services.common.metrics",
    "services.common.broker",
)


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, *, root: Path | None = None) -> set[str]:
    """Every module a file imports, anywhere in it (a function-local import counts too).

    `from package import name` also counts `package.name`, since the name may be a module;
    relative imports are resolved when `root` (the folder holding the top package) is given.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path, root).split(".") if root else []
    if root and path.name != "__init__.py":
        package = package[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module or ""
            elif root:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            else:
                continue
            if base:
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def import_graph(package_dir: Path) -> dict[str, set[str]]:
    """Map each module of a package to the modules of the same package it imports."""
    root = package_dir.parent
    while (root / "__init__.py").exists():
        root = root.parent
    modules = {module_name(p, root): p for p in sorted(package_dir.rglob("*.py"))}
    return {
        name: {m for m in imported_modules(path, root=root) if m in modules and m != name}
        for name, path in modules.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """Return one import cycle (first module repeated at the end), or [] when there is none."""
    done: set[str] = set()
    for start in sorted(graph):
        stack: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
        on_path = [start]
        while stack:
            node, todo = stack[-1]
            if not todo:
                stack.pop()
                on_path.pop()
                done.add(node)
                continue
            nxt = todo.pop()
            if nxt in on_path:
                return [*on_path[on_path.index(nxt) :], nxt]
            if nxt not in done:
                stack.append((nxt, sorted(graph[nxt])))
                on_path.append(nxt)
    return []


def is_web_route_module(path: Path) -> bool:
    """A module that declares HTTP routes (an APIRouter or the FastAPI app)."""
    text = path.read_text(encoding="utf-8")
    return "APIRouter(" in text or "FastAPI(" in text


@pytest.mark.parametrize("package", ISOLATED)
def test_a_service_imports_only_schemas_common_domain_and_itself(package: str) -> None:
    allowed = {f"services.{package}"} | LAYERS.get(package, SERVICE_DEPENDS_ON)
    offenders = []
    for path in sorted((SERVICES / package).rglob("*.py")):
        for module in imported_modules(path):
            if module.startswith("services.") and not any(
                module == a or module.startswith(a + ".") for a in allowed
            ):
                offenders.append(f"{path.relative_to(SERVICES.parent)} imports {module}")
    assert offenders == []


def test_no_benchmark_imports_the_tests() -> None:
    benchmarks = SERVICES.parent / "benchmarks"
    offenders = [
        f"{path.name} imports {module}"
        for path in sorted(benchmarks.glob("*.py"))
        for module in imported_modules(path)
        if module == "tests" or module.startswith("tests.")
    ]
    assert offenders == []


def reached(module: str) -> set[str]:
    """Every module `module` imports, and what those of the repository import in turn."""
    root = SERVICES.parent
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = root.joinpath(*name.split(".")).with_suffix(".py")
        if not path.exists():
            path = root.joinpath(*name.split("."), "__init__.py")
        if path.exists():
            todo.extend(imported_modules(path, root=root) - seen)
    return seen - {module}


def _impure(name: str) -> bool:
    parts = name.split(".")
    # A service's own metrics, tables and stores are as impure as the libraries behind them.
    own = len(parts) >= 3 and parts[0] == "services" and parts[2] in _IMPURE_OWN
    return own or any(name == i or name.startswith(i + ".") for i in IMPURE)


_IMPURE_OWN = frozenset({"metrics", "models", "store", "repository", "handlers", "main"})


@pytest.mark.parametrize("module", PURE)
def test_the_domain_modules_reach_no_database_broker_or_metrics(module: str) -> None:
    assert sorted(m for m in reached(module) if _impure(m)) == []


def test_the_purity_check_sees_an_impure_import_through_another_module() -> None:
    assert "sqlalchemy" in reached("services.response.repository")
    assert _impure("services.response.metrics") and _impure("sqlalchemy.orm")
    assert not _impure("services.response.lifecycle")


@pytest.mark.parametrize("package", sorted(p.name for p in SERVICES.iterdir() if p.is_dir()))
def test_a_service_has_no_import_cycle(package: str) -> None:
    if not (SERVICES / package / "__init__.py").exists():
        pytest.skip("not a package")
    assert find_cycle(import_graph(SERVICES / package)) == []


def test_web_routes_do_not_import_the_outbox() -> None:
    routes = [p for p in sorted(SERVICES.rglob("*.py")) if is_web_route_module(p)]
    assert routes, "no route modules found: the check would pass vacuously"
    offenders = [
        str(p.relative_to(SERVICES.parent))
        for p in routes
        if any(m == OUTBOX or m.startswith(OUTBOX + ".") for m in imported_modules(p))
        or "services.common import outbox" in p.read_text(encoding="utf-8")
    ]
    assert offenders == []


# Who may put messages in the outbox: the unit of work (every handler's), the outbox module that
# defines the table and its relay, and the notifier's delivery log, whose send marks and their
# messages commit together on the direct connection (decision 0400).
OUTBOX_WRITERS = {
    "services/common/outbox.py",
    "services/common/unit_of_work.py",
    "services/notifier/delivery_log.py",
}
# Who may write on a database's direct connection (`services/common/direct.py`): the database
# that opens it, the relay's "published" marks, and the notifier's delivery log.
DIRECT_WRITERS = {
    "services/common/db.py",
    "services/common/direct.py",
    "services/common/outbox.py",
    "services/notifier/delivery_log.py",
}
_OUTBOX_WRITING_NAMES = {"enqueue", "OUTBOX_SQL", "outbox_rows"}
_RAW_OUTBOX_INSERT = re.compile(r"INSERT\s+INTO\s+[\"']?outbox\b", re.IGNORECASE)


def writes_outbox(path: Path) -> list[str]:
    """How a module writes outbox rows, if it does: what it imports to, or the SQL it runs."""
    text = path.read_text(encoding="utf-8")
    found = [f"raw SQL {m.group(0)!r}" for m in _RAW_OUTBOX_INSERT.finditer(text)]
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ImportFrom) and node.module == OUTBOX:
            found += [f"imports {a.name}" for a in node.names if a.name in _OUTBOX_WRITING_NAMES]
        elif isinstance(node, ast.Call):
            args = [*node.args, *(k.value for k in node.keywords)]
            func = node.func
            if isinstance(func, ast.Attribute) and _named(func.value, "outbox"):
                if func.attr == "insert":
                    found.append("outbox.insert()")
            elif any(_named(a, "outbox") for a in args) and _named(
                func, "insert", "insert_many", "upsert"
            ):
                found.append(f"{ast.unparse(func)}(..., outbox)")
    return found


def uses_direct_connection(path: Path) -> bool:
    """A module that reaches a database's direct connection (`db.direct`, `DirectConnection`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return "services.common.direct" in imported_modules(path) or any(
        isinstance(node, ast.Attribute) and node.attr == "direct" for node in ast.walk(tree)
    )


def _named(node: ast.expr, *names: str) -> bool:
    if isinstance(node, ast.Name):
        return node.id in names
    return isinstance(node, ast.Attribute) and node.attr in names


def _service_modules() -> list[tuple[str, Path]]:
    return [(str(p.relative_to(SERVICES.parent)), p) for p in sorted(SERVICES.rglob("*.py"))]


def test_only_the_unit_of_work_the_relay_and_the_delivery_log_write_the_outbox() -> None:
    writers = {name: how for name, path in _service_modules() if (how := writes_outbox(path))}
    assert {name: how for name, how in writers.items() if name not in OUTBOX_WRITERS} == {}
    # Each one allowed still writes: a writer that moved would leave a stale exception here.
    assert sorted(writers) == sorted(OUTBOX_WRITERS)


def test_only_the_relay_and_the_delivery_log_write_on_the_direct_connection() -> None:
    users = {name for name, path in _service_modules() if uses_direct_connection(path)}
    assert sorted(users - DIRECT_WRITERS) == []
    assert "services/notifier/delivery_log.py" in users


def test_the_outbox_check_sees_each_way_of_writing_it(tmp_path: Path) -> None:
    ways = {
        "raw.py": 'SQL = "insert into outbox (message_id) values (?)"\n',
        "enqueues.py": "from services.common.outbox import enqueue\n",
        "rows.py": "from services.common.outbox import OUTBOX_SQL, outbox_rows\n",
        "core.py": "async def f(s):\n    await s.execute(outbox.insert().values(topic='t'))\n",
        "bulk.py": "async def f(s, rows):\n    await db.insert_many(s, outbox, rows)\n",
    }
    for name, text in ways.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert writes_outbox(tmp_path / name), name
    reads = tmp_path / "reads.py"
    reads.write_text(
        "from services.common.outbox import claim, outbox, seen\nQ = 'SELECT * FROM outbox'\n",
        encoding="utf-8",
    )
    assert writes_outbox(reads) == []


# A repository or store runs in its caller's transaction: it never opens, begins or commits one.
_TRANSACTION_CALLS = {"commit", "transaction", "sessions", "begin", "work"}


def is_repository(path: Path) -> bool:
    return path.name in ("store.py", "repository.py") or path.name.endswith("_store.py")


def test_repositories_never_open_or_commit_a_transaction() -> None:
    repositories = [(name, path) for name, path in _service_modules() if is_repository(path)]
    assert len(repositories) >= 8, "fewer repositories than expected: the check would be vacuous"
    offenders = [
        f"{name}:{node.lineno} {node.func.attr}()"
        for name, path in repositories
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in _TRANSACTION_CALLS
    ]
    offenders += [name for name, path in repositories if uses_direct_connection(path)]
    assert offenders == []


def _package(root: Path, modules: dict[str, str]) -> Path:
    """Write a package `pkg` of these modules (paths below pkg/), each of its folders a package."""
    package = root / "pkg"
    for name, text in modules.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for folder in [package, *(p for p in package.rglob("*") if p.is_dir())]:
        (folder / "__init__.py").touch()
    return package


def test_the_cycle_check_finds_a_circle_through_a_function_local_import(tmp_path: Path) -> None:
    modules = {
        "web/app.py": "def build():\n    from pkg.web import api\n",
        "web/api.py": "from .app import build\n",
        "other.py": "import pkg.web.api\n",
    }
    cycle = find_cycle(import_graph(_package(tmp_path, modules)))
    assert set(cycle) == {"pkg.web.app", "pkg.web.api"}
    assert cycle[0] == cycle[-1]


def test_the_cycle_check_accepts_a_layered_package(tmp_path: Path) -> None:
    modules = {
        "deps.py": "import json\n",
        "api.py": "from pkg.deps import x\n",
        "app.py": "from pkg import api, deps\n",
    }
    assert find_cycle(import_graph(_package(tmp_path, modules))) == []


def test_the_route_check_sees_a_route_module(tmp_path: Path) -> None:
    route = tmp_path / "routes.py"
    route.write_text(
        "from fastapi import APIRouter\nfrom services.common.outbox import enqueue\n"
        "router = APIRouter()\n",
        encoding="utf-8",
    )
    assert is_web_route_module(route)
    assert OUTBOX in imported_modules(route)


def test_no_function_in_services_runs_over_80_lines() -> None:
    long = [
        f"{path.relative_to(SERVICES.parent)}:{node.lineno} {node.name} "
        f"({(node.end_lineno or node.lineno) - node.lineno + 1} lines)"
        for path in sorted(SERVICES.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (node.end_lineno or node.lineno) - node.lineno + 1 > 80
    ]
    assert long == []


# The functions allowed past 60 lines, each for a reason, at most eight. One that is split
# below the limit should leave the list (the test does not insist, so that a file being
# reshaped by another change does not fail here first).
LONG_FUNCTIONS_ALLOWED = {
    # Alembic migrations that shipped: each upgrade is one schema definition, and history.
    "services/duty/migrations/duty_0001_activations_timers.py upgrade",
    "services/triage/migrations/triage_0001_incidents.py upgrade",
}
FUNCTION_LINE_LIMIT = 60


def test_no_function_in_services_runs_over_60_lines_but_the_allowed() -> None:
    long = {
        f"{path.relative_to(SERVICES.parent)} {node.name}": (node.end_lineno or node.lineno)
        - node.lineno
        + 1
        for path in sorted(SERVICES.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (node.end_lineno or node.lineno) - node.lineno + 1 > FUNCTION_LINE_LIMIT
    }
    assert len(LONG_FUNCTIONS_ALLOWED) <= 8
    assert {k: v for k, v in long.items() if k not in LONG_FUNCTIONS_ALLOWED} == {}


# The web surfaces, one shape: `app.py` assembles, `deps.py` holds what every route depends on
# (and renders), `pages.py` the pages, `guard.py` what keeps a request out.
WEB_PACKAGES = ("duty/console", "response/web", "notifier/web")
WEB_PARTS = ("app.py", "deps.py", "pages.py", "guard.py")
# Route modules outside a web package: the public CAP feed, mounted by the console's app.
OTHER_ROUTES = {"services/duty/cap/router.py"}
# What composes or sends mail: a page asks a port passed in from the composition root.
MAIL = (
    "email",
    "smtplib",
    "aiosmtplib",
    "services.notifier.compose",
    "services.notifier.mime",
    "services.notifier.smtp_pool",
    "services.notifier.link_mail",
    "services.notifier.dispatcher",
    "services.notifier.rendering",
)
WEB_HELPER = "services.common.web_pages"
HEADER_NAMES = frozenset(
    {
        "content-security-policy",
        "x-frame-options",
        "x-content-type-options",
        "referrer-policy",
        "strict-transport-security",
    }
)


def _web_modules() -> list[Path]:
    return [p for package in WEB_PACKAGES for p in sorted((SERVICES / package).glob("*.py"))]


@pytest.mark.parametrize("package", WEB_PACKAGES)
def test_each_web_surface_has_app_deps_pages_and_guard(package: str) -> None:
    assert [part for part in WEB_PARTS if not (SERVICES / package / part).exists()] == []


def test_routes_live_only_in_the_web_packages() -> None:
    inside = {str(p.relative_to(SERVICES.parent)) for p in _web_modules()}
    routes = {
        str(p.relative_to(SERVICES.parent))
        for p in sorted(SERVICES.rglob("*.py"))
        if is_web_route_module(p)
    }
    assert routes - inside == OTHER_ROUTES


def test_no_web_module_composes_or_sends_mail() -> None:
    root = SERVICES.parent
    offenders = [
        f"{path.relative_to(root)} reaches {module}"
        for path in _web_modules()
        for module in sorted(reached(module_name(path, root)))
        if any(module == m or module.startswith(m + ".") for m in MAIL)
    ]
    assert offenders == []


def test_the_mail_check_sees_mail_code() -> None:
    assert "services.notifier.compose" in reached("services.notifier.link_mail")
    assert "email.message" in reached("services.notifier.compose")


def _string_constants(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.value.lower()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def test_security_headers_and_templates_come_from_the_one_helper() -> None:
    helper = SERVICES / "common" / "web_pages.py"
    named = sorted(
        str(p.relative_to(SERVICES.parent))
        for p in sorted(SERVICES.rglob("*.py"))
        if p != helper and _string_constants(p) & HEADER_NAMES
    )
    assert named == []
    assert _string_constants(helper) >= HEADER_NAMES
    for package in WEB_PACKAGES:
        app = SERVICES / package / "app.py"
        assert WEB_HELPER in imported_modules(app), f"{package} sets its own headers"
    own_templates = [
        str(p.relative_to(SERVICES.parent))
        for p in _web_modules()
        if "Jinja2Templates(" in p.read_text(encoding="utf-8")
        or any(m == "jinja2" or m.startswith("jinja2.") for m in imported_modules(p))
    ]
    assert own_templates == []


# The checks of docs/architecture.md, the page that maps this shape (decision 0739): they run
# with the rules they describe, so whoever runs this module runs them too.
from tests.unit import architecture_map  # noqa: E402

globals().update({k: v for k, v in vars(architecture_map).items() if k.startswith("test_")})
