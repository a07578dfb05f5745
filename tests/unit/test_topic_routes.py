"""`schemas/topics.ROUTES`, the one list of who writes and who reads each topic, is the truth.

Consumers are read off each service's composition root (`ctx.subscribe(TOPIC, …)`, a side
group as `service/group`); producers off the code that builds a topic's message (the schema
class whose `topic` it is), so a new subscription or a new publisher that is not in the table
fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import schemas
from schemas import topics
from schemas.base import Contract

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("ingester", "triage", "notifier", "duty", "response")
TOPIC_OF_NAME = {name: getattr(topics, name) for name in dir(topics) if name.isupper()}


def subscriptions() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {topic: set() for topic in topics.MAIN_TOPICS}
    for service in SERVICES:
        tree = ast.parse((ROOT / "services" / service / "main.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "subscribe"
                and node.args
                and isinstance(node.args[0], ast.Name)
            ):
                group = next(
                    (k.value.value for k in node.keywords if k.arg == "side_group"),
                    None,
                )
                found[TOPIC_OF_NAME[node.args[0].id]].add(
                    f"{service}/{group}" if group else service
                )
    return found


def contracts() -> dict[str, str]:
    """The class name of each topic's message."""
    import importlib
    import pkgutil

    names: dict[str, str] = {}
    for module in pkgutil.iter_modules(schemas.__path__):
        loaded = importlib.import_module(f"schemas.{module.name}")
        for value in vars(loaded).values():
            topic = getattr(value, "topic", None)
            if isinstance(value, type) and issubclass(value, Contract) and isinstance(topic, str):
                names[value.__name__] = topic
    return names


def built_class(call: ast.Call) -> str | None:
    """`Name(…)` or `Name.model_validate(…)`: the class a call builds."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and func.attr == "model_validate":
        return getattr(func.value, "id", None)
    return None


def builders() -> dict[str, set[str]]:
    """For each topic, the services whose code builds its message.

    A service's command line (`cli.py`) builds messages to preview them, never to publish.
    """
    classes = contracts()
    found: dict[str, set[str]] = {topic: set() for topic in topics.MAIN_TOPICS}
    for service in SERVICES:
        for path in (ROOT / "services" / service).rglob("*.py"):
            if path.name == "cli.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                name = built_class(node) if isinstance(node, ast.Call) else None
                if name in classes:
                    found[classes[name]].add(service)
    return found


def test_every_topic_has_a_route() -> None:
    assert set(topics.ROUTES) == set(topics.MAIN_TOPICS)


def test_the_consumers_are_the_subscriptions() -> None:
    actual = subscriptions()
    assert actual[topics.ACTIVATIONS], "the scan found no subscription at all"
    assert {t: set(r.consumers) for t, r in topics.ROUTES.items()} == actual


def test_the_producers_are_who_builds_the_message() -> None:
    actual = builders()
    assert actual[topics.HAZARDS] == {"ingester"}, "the scan missed the ingester's events"
    assert {t: set(r.producers) for t, r in topics.ROUTES.items()} == actual
