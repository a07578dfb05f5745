"""What production refuses to start with: an example rota or member directory, and officers
whose password hash verifies a password published with standby.

The example files ship in the image and compose once pointed at them; the demo password is
printed in their header. Either would let anyone who has read this repository in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.common.errors import ConfigError
from services.common.keys import key_problems
from services.common.settings import ServiceName, Settings

# Every password this repository publishes (README, the example rota, tests).
DEMO_PASSWORDS: tuple[str, ...] = ("standby-demo",)
# RFC 2606 names: a real directory never mails them.
_EXAMPLE_ADDRESS = re.compile(r"@([\w-]+\.)*example\.(org|com|net|jp)$", re.IGNORECASE)

# The configuration files each service reads; a service is judged only on its own.
FILES_READ: dict[ServiceName, tuple[str, ...]] = {
    "ingester": (),
    "triage": ("members",),
    "notifier": ("members", "rota"),
    "duty": ("rota", "members"),  # members: the incident maps
    "response": ("members",),
}


def check_production(settings: Settings, service: ServiceName) -> None:
    """Raise ConfigError naming every example file and known password a service would run on."""
    if settings.environment != "production":
        return
    paths = {"members": settings.members_file, "rota": settings.duty.rota_file}
    problems = [p for what in FILES_READ[service] for p in file_problems(paths[what], what)]
    problems += key_problems(settings, service)
    if problems:
        raise ConfigError(
            "production refuses to start:\n  "
            + "\n  ".join(problems)
            + "\n  (set passwords with `standby duty-set-password`; see README, Production)"
        )


def file_problems(path: Path, what: str) -> list[str]:
    """Name, with file and line, what makes a rota or member file unfit for production."""
    problems: list[str] = []
    if ".example." in path.name:
        problems.append(f"{path}: the example {what} file (copy it and make it your own)")
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError):
        return problems  # unreadable files are the service's own loader's to report
    for key, node in _scalars(root):
        where = f"{path}:{node.start_mark.line + 1}"
        if key == "password_hash" and known_password(node.value):
            problems.append(f"{where}: this password_hash verifies a published demo password")
        elif key == "email" and _EXAMPLE_ADDRESS.search(node.value.strip()):
            problems.append(f"{where}: {node.value} is an example address")
    return problems


@cache
def known_password(stored: str) -> bool:
    """True when an argon2 hash verifies one of the published demo passwords."""
    hasher = PasswordHasher()
    for password in DEMO_PASSWORDS:
        try:
            if hasher.verify(stored, password):
                return True
        except (VerificationError, InvalidHashError):
            continue
    return False


def _scalars(node: yaml.Node | None) -> Iterator[tuple[str, yaml.ScalarNode]]:
    """Every `key: scalar` pair of a YAML node tree, at any depth."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and isinstance(value, yaml.ScalarNode):
                yield key.value, value
            else:
                yield from _scalars(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _scalars(item)
