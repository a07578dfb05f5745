"""docs/architecture.md tells the truth: every file, name, topic and command it gives exists (and
every path the README gives), its table has every service and every part, what it calls pure
domain is pure and the rules read no clock, each question a newcomer asks first is answered in
the table by a file that holds the answer, every handler claims its message, conflicting
inserts go through `upsert`, each service primes its series and migrates along one chain, and
only a composition root builds from settings.

A map that names a file renamed since sends its reader the wrong way; these checks fail first
(decision 0739). tests/unit/test_architecture.py runs them with the rules the page describes.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from schemas.topics import ALL_TOPICS
from tests.unit.test_architecture import _impure, module_name, reached

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "services"
MAP = ROOT / "docs" / "architecture.md"
SERVICE_NAMES = ("ingester", "triage", "notifier", "duty", "response")
COLUMNS = (
    "service",
    "composition root",
    "handlers",
    "pure domain",
    "repository / store",
    "web",
    "metrics",
    "migrations",
)
# Names the document gives that are no part of this code: the standard library's.
OUTSIDE = {"email"}
CODE = re.compile(r"`([^`]+)`")
PATHLIKE = re.compile(r"^[\w<>*./-]+(\.py|/|\.md)$|^[\w-]+/[\w<>*./-]+$")
IDENTIFIER = re.compile(r"^[A-Za-z_][\w.]*(\(.*\))?$")
# `schemas/topics.ROUTES`: a name in a module named by its path.
NAME_IN_MODULE = re.compile(r"^([\w/]+)\.(?!py$|md$)([A-Za-z_]\w*)$")
COMMAND = re.compile(r"^(standby )?([a-z]+(-[a-z]+)+|standby [a-z-]+)$")


def document() -> str:
    """The document without its code blocks (an example, not a claim about a file)."""
    return re.sub(r"```.*?```", "", MAP.read_text(encoding="utf-8"), flags=re.DOTALL)


def table() -> dict[str, dict[str, str]]:
    """The map: each service's row, cell by column."""
    lines = [line for line in document().splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    rows = {}
    for line in lines[1:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows[cells[0]] = dict(zip(header, cells, strict=True))
    return rows


def prose() -> str:
    return "\n".join(line for line in document().splitlines() if not line.startswith("|"))


def cell_files(service: str, cell: str) -> list[tuple[str, list[Path]]]:
    """Each file a cell names, with where it may be: under a folder named before it in the
    cell (`web/`: `app.py`), the service's own folder, `services/` or the repository."""
    found: list[tuple[str, list[Path]]] = []
    home = SERVICES / service
    folders: list[Path] = []
    for token in CODE.findall(cell):
        if not PATHLIKE.match(token):
            continue
        places = [*(folder / token for folder in folders), home / token, SERVICES / token]
        found.append((token, [*places, ROOT / token]))
        if token.endswith("/"):
            folders.insert(0, home / token)
    return found


def exists(place: Path) -> bool:
    if "*" in place.name:
        return any(place.parent.glob(place.name))
    return place.exists()


def test_the_map_has_every_service_and_every_part() -> None:
    rows = table()
    assert sorted(rows) == sorted(SERVICE_NAMES)
    assert all(tuple(row) == COLUMNS for row in rows.values())
    assert all(cell and cell != "—" for row in rows.values() for cell in list(row.values())[:5])


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_every_file_the_map_names_exists(service: str) -> None:
    missing = [
        f"{column}: {token}"
        for column, cell in table()[service].items()
        for token, places in cell_files(service, cell)
        if not any(exists(p) for p in places)
    ]
    assert missing == []


FILES = [*SERVICES.rglob("*"), *(ROOT / "tests").rglob("*.py")]


def test_every_path_the_document_names_exists() -> None:
    missing = []
    for token in sorted(set(CODE.findall(prose()))):
        if not PATHLIKE.match(token) or "_NNNN_" in token:
            continue
        if (named := NAME_IN_MODULE.match(token)) and (ROOT / f"{named[1]}.py").is_file():
            tree = ast.parse((ROOT / f"{named[1]}.py").read_text(encoding="utf-8"))
            if named[2] not in {getattr(t, "id", None) for t in ast.walk(tree)}:
                missing.append(token)
            continue
        names = [token.replace("<svc>", s) for s in SERVICE_NAMES] if "<svc>" in token else [token]
        for name in names:
            # A name alone (`direct.py`, the one in the sentence's folder) is found by its name.
            near = [ROOT / name, SERVICES / name, *(p / name for p in SERVICES.iterdir())]
            alone = "/" not in name.rstrip("/")
            if not any(exists(p) for p in near) and not (
                alone and any(p.name == name.rstrip("/") for p in FILES)
            ):
                missing.append(name)
    assert missing == []


def defined_names() -> tuple[set[str], dict[str, set[str]]]:
    """Every name the code defines (modules, classes, functions, assignments), and each
    class's own names."""
    names: set[str] = set()
    members: dict[str, set[str]] = {}
    # The code, and the architecture tests whose lists the page names.
    paths = [*SERVICES.rglob("*.py"), *(ROOT / "schemas").rglob("*.py")]
    unit = ROOT / "tests" / "unit"
    for path in [*paths, unit / "test_architecture.py", unit / "architecture_map.py"]:
        names.update(module_name(path, ROOT).split("."))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                members.setdefault(node.name, set()).update(
                    n.name
                    for n in node.body
                    if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
                )
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names, members


def test_every_name_the_document_gives_is_defined() -> None:
    names, members = defined_names()
    unknown = []
    for token in sorted(set(CODE.findall(document()))):
        if token in OUTSIDE or PATHLIKE.match(token) or re.fullmatch(r"[\w-]+\.v\d+", token):
            continue
        if token.startswith("python -m "):
            token = token.removeprefix("python -m ")
        # `Escalation.record / act / fire / supersede`: one class, several of its methods.
        first, *more = [part.strip() for part in token.split("/")]
        if not IDENTIFIER.match(first):
            continue
        parts = first.split("(")[0].split(".")
        owner = parts[0] if parts[0] in members else None
        wanted = [*parts[1:], *more] if owner else [parts[-1], *more]
        known = members[owner] if owner else names
        unknown += [f"{token}: {name}" for name in wanted if name not in known]
    assert unknown == []


def test_every_topic_the_document_names_is_one() -> None:
    named = {t for t in CODE.findall(document()) if re.fullmatch(r"[\w-]+\.v\d+", t)}
    assert named and named <= set(ALL_TOPICS)


def test_every_command_the_document_names_is_one() -> None:
    from services.cli import app

    commands = {c.name or getattr(c.callback, "__name__", "") for c in app.registered_commands}
    named = {
        token.removeprefix("standby ")
        for token in CODE.findall(document())
        if COMMAND.match(token) and not PATHLIKE.match(token)
    }
    assert named and named - commands == set()


def pure_modules() -> list[str]:
    """The modules the map's pure-domain column names (`sources/*`: each module there)."""
    modules = []
    for service, row in table().items():
        for _, places in cell_files(service, row["pure domain"]):
            found = next((p for p in places if exists(p)), None)
            if found is not None:
                paths = sorted(found.parent.glob(found.name)) if "*" in found.name else [found]
                modules += [module_name(path, ROOT) for path in paths if path.suffix == ".py"]
    return sorted(set(modules))


def test_what_the_map_calls_pure_domain_reaches_no_database_broker_or_metrics() -> None:
    modules = pure_modules()
    assert "services.ingester.sources.usgs" in modules  # the `sources/*` of the ingester's row
    impure = {m: sorted(i for i in reached(m) if _impure(i)) for m in modules}
    assert {m: found for m, found in impure.items() if found} == {}


def test_the_shared_domain_is_pure_as_well() -> None:
    modules = [module_name(p, ROOT) for p in sorted((SERVICES / "domain").rglob("*.py"))]
    impure = {m: sorted(i for i in reached(m) if _impure(i)) for m in modules}
    assert {m: found for m, found in impure.items() if found} == {}


# The rules that decide are given the time: a test or a replay sets it.
RULES = (
    "duty/escalation.py",
    "duty/states.py",
    "triage/engine.py",
    "triage/decide.py",
    "ingester/changes.py",
    "response/aggregate.py",
    "response/lifecycle.py",
    "response/rollcall.py",
    "notifier/recipients.py",
    "notifier/preferences.py",
)
CLOCK_READS = {"utcnow", "now", "today", "time", "monotonic"}


def test_the_rules_are_given_the_time_and_never_read_a_clock() -> None:
    reads = [
        f"{rule}:{node.lineno} {ast.unparse(node.func)}()"
        for rule in RULES
        for node in ast.walk(ast.parse((SERVICES / rule).read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id in CLOCK_READS)
            or (isinstance(node.func, ast.Attribute) and node.func.attr in CLOCK_READS)
        )
    ]
    assert reads == []


# What a newcomer asks first, and where the map sends them: the service's row, the column, the
# file the cell names, and what that file holds. One read of the table, one of the file.
QUESTIONS = {
    "where recipients are chosen": ("notifier", "pure domain", "recipients.py", "alert_audience"),
    "where an escalation fires": ("duty", "pure domain", "escalation.py", "fire"),
    "where due escalation timers fire": ("duty", "handlers", "clock.py", "fire_due"),
    "where a member's answer is taken": ("response", "web", "links.py", "answer_post"),
    "where a member's answer is stored": (
        "response",
        "repository / store",
        "repository.py",
        "save",
    ),
    "where place names are resolved": ("ingester", "pure domain", "places.py", "countries_in_name"),
    "where a level is decided": ("triage", "pure domain", "decide.py", "decide"),
    "where a new officer page goes": ("duty", "web", "pages.py", "activations"),
    "where a new roll-call page goes": ("response", "web", "pages.py", "board_page"),
}


@pytest.mark.parametrize("question", QUESTIONS)
def test_the_map_answers_each_first_question(question: str) -> None:
    service, column, file, holds = QUESTIONS[question]
    files = [
        path
        for token, places in cell_files(service, table()[service][column])
        if token == file
        for path in places
        if path.is_file()
    ]
    assert files, f"{question}: the map's {service} {column} does not name {file}"
    tree = ast.parse(files[0].read_text(encoding="utf-8"))
    defined = {
        n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    assert holds in defined, f"{question}: {files[0].relative_to(ROOT)} holds no {holds}"


def test_the_map_says_how_an_answer_travels() -> None:
    travel = next(p for p in prose().split("\n\n") if p.startswith("How a member's answer travels"))
    steps = CODE.findall(travel)
    assert [s for s in steps if s.endswith(".py")] == [
        "domain/answer_links.py",
        "notifier/personal.py",
        "response/web/links.py",
        "response/handlers.py",
        "aggregate.py",
        "repository.py",
        "duty/timeline.py",
    ]
    assert {"answers.v1", "rollcall.v1"} <= set(steps)


def test_every_path_the_readme_and_the_other_documents_name_exists() -> None:
    # The decision records are history: a path there is as it was when it was decided. This
    # page's own paths are the tests above's.
    pages = [ROOT / "README.md", *(p for p in sorted((ROOT / "docs").glob("*.md")) if p != MAP)]
    text = "\n".join(page.read_text(encoding="utf-8") for page in pages)
    named = {
        token.replace("<service>", service)
        for token in re.findall(r"`([^`\n]+)`", text)
        if re.match(r"^(services|schemas|deploy|docs|tests|benchmarks)/[\w<>*./-]*$", token)
        for service in SERVICE_NAMES
    }
    assert len(named) > 20  # the scan sees the documents' paths
    assert sorted(p for p in named if not (ROOT / p).exists()) == []


# What only a composition root (or, for a service's offline commands, its `cli.py`) does.
BUILDS = {"load_settings", "create_async_engine", "make_broker", "KafkaBroker"}


def test_only_the_composition_root_loads_settings_opens_engines_or_builds_brokers() -> None:
    builders = [
        f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node.func)}()"
        for service in SERVICE_NAMES
        for path in sorted((SERVICES / service).rglob("*.py"))
        if path.name != "cli.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and ast.unparse(node.func).split(".")[-1] in BUILDS
    ]
    assert builders == []


def claims(method: str, methods: dict[str, ast.AST]) -> bool:
    """Whether a method claims its message: itself, or through the methods of its class it calls."""
    seen, todo = set(), [method]
    while todo:
        name = todo.pop()
        if name in seen or name not in methods:
            continue
        seen.add(name)
        for node in ast.walk(methods[name]):
            if isinstance(node, ast.Attribute) and node.attr == "claim":
                return True
            if isinstance(node, ast.Attribute) and ast.unparse(node.value) == "self":
                todo.append(node.attr)
    return False


def test_every_handler_claims_its_message() -> None:
    handlers = []
    # The ingester consumes no topic: its loop publishes what it polled.
    for path in sorted(SERVICES.glob("*/handlers.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            methods: dict[str, ast.AST] = {
                n.name: n for n in cls.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            }
            handlers += [
                (f"{path.parent.name}.{name}", claims(name, methods))
                for name in methods
                if name.startswith("on_")
            ]
    assert len(handlers) >= 10
    assert [who for who, claimed in handlers if not claimed] == []


# Where an INSERT may say ON CONFLICT itself: the dialect helper, and the delivery log's SQL on
# the direct connection (§5), which no SQLAlchemy statement goes through.
CONFLICT_SQL = {"services/common/db.py", "services/notifier/delivery_log.py"}


def test_an_insert_that_may_conflict_goes_through_upsert() -> None:
    found = []
    for path in sorted(SERVICES.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        name = str(path.relative_to(ROOT))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and ast.unparse(node.func) in {
                "postgresql.insert",
                "sqlite.insert",
            }:
                found.append(f"{name}:{node.lineno} {ast.unparse(node.func)}()")
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "sqlalchemy.dialects."
            ):
                found += [f"{name}: imports {a.name}" for a in node.names if a.name == "insert"]
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and "ON CONFLICT" in node.value.upper()
                and name not in CONFLICT_SQL
            ):
                found.append(f"{name}:{node.lineno} raw ON CONFLICT")
    found = [f for f in found if not f.startswith("services/common/db.py")]
    assert found == []


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_a_service_declares_its_series_with_a_prime(service: str) -> None:
    tree = ast.parse((SERVICES / service / "metrics.py").read_text(encoding="utf-8"))
    assert "prime" in {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}


def revision_of(path: Path) -> tuple[str, str | None]:
    values: dict[str, str | None] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                values[target.id] = ast.literal_eval(node.value)
    return str(values["revision"]), values.get("down_revision")


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_a_service_migrates_along_one_linear_chain(service: str) -> None:
    files = sorted((SERVICES / service / "migrations").glob(f"{service}_*.py"))
    assert files and all(re.fullmatch(rf"{service}_\d{{4}}_\w+\.py", f.name) for f in files)
    chain = [revision_of(f) for f in files]
    assert [revision for revision, _ in chain] == [f.name[: len(service) + 5] for f in files]
    # Each revision builds on the one before it, the first on nothing of the service's own.
    assert [below for _, below in chain] == [None, *(r for r, _ in chain[:-1])]


def test_a_transaction_factory_is_typed_by_the_one_alias() -> None:
    spelled = [
        str(path.relative_to(ROOT))
        for path in sorted(SERVICES.rglob("*.py"))
        if "AbstractAsyncContextManager[AsyncSession]" in path.read_text(encoding="utf-8")
    ]
    assert spelled == ["services/common/db.py"]


def test_a_service_asks_only_for_the_keys_it_is_given() -> None:
    from services.common.keys import KEYS_USED

    asked = {
        (service, node.args[1].value)
        for service in SERVICE_NAMES
        for path in sorted((SERVICES / service).rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and ast.unparse(node.func) == "key_ring"
        and len(node.args) == 2
        and isinstance(node.args[1], ast.Constant)
    }
    assert len(asked) >= 5  # the scan sees the services' key rings
    assert sorted((s, p) for s, p in asked if p not in KEYS_USED[s]) == []


# Class names more than one module of services/ gives, each for a reason; any other name a
# second class takes (three `Outcome`s, two `Decision`s once) sends a reader to the wrong one.
SHARED_CLASS_NAMES = {
    "Base": "each service's SQLAlchemy declarative base, one per database",
    "Effects": "what an aggregate's step returns: duty's escalation and the roll-call",
    "Presence": "where member organisations are: triage's facts and the incident map's scene",
    "DeliveryRow": "the notifier's table and duty's API reply (its name is in the API schema)",
    "Rule": "a retention rule and a criteria rule, each named in its own package",
    "Country": "the country table's entry and a ReliefWeb record's country field",
}


def test_no_two_classes_share_a_name_but_the_listed() -> None:
    where: dict[str, list[str]] = {}
    for path in sorted(SERVICES.rglob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                where.setdefault(node.name, []).append(str(path.relative_to(ROOT)))
    shared = {name: paths for name, paths in where.items() if len(paths) > 1}
    assert sorted(set(shared) - set(SHARED_CLASS_NAMES)) == []
    # A name no longer shared leaves the list.
    assert sorted(set(SHARED_CLASS_NAMES) - set(shared)) == []
    functions = [
        node.name
        for path in sorted(SERVICES.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "decide"
    ]
    assert len(functions) == 1  # one `decide`: triage's rule book


def test_the_delivery_log_is_a_port_of_two_operations() -> None:
    tree = ast.parse((SERVICES / "notifier" / "delivery_log.py").read_text(encoding="utf-8"))
    (port,) = (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "DeliveryLog")
    operations = {
        n.name
        for n in port.body
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and not n.name.startswith("_")
    }
    assert operations == {"record", "mark"}
