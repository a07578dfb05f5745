"""Write an officer's password hash into the rota file, keeping its comments and layout."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml

from services.common.errors import ConfigError
from services.common.production import DEMO_PASSWORDS

MIN_PASSWORD_CHARS = 12


def password_problem(password: str) -> str | None:
    """Why a new console password cannot be used, or None."""
    if len(password) < MIN_PASSWORD_CHARS:
        return f"use at least {MIN_PASSWORD_CHARS} characters"
    if password in DEMO_PASSWORDS:
        return "that password is published with standby"
    return None


def with_password_hash(text: str, officer_id: str, password_hash: str) -> str:
    """Return the rota text with the officer's `password_hash` set (replaced or added)."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    officer = _officer_node(root, officer_id)
    if officer is None:
        raise ConfigError(f"no officer with id {officer_id!r} in the rota")
    quoted = f'"{password_hash}"'
    for key, value in officer.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "password_hash":
            start, end = value.start_mark.index, value.end_mark.index
            return text[:start] + quoted + text[end:]
    # No hash yet: a new line under the `id:` line, at the same indentation.
    id_key, id_value = next(
        (k, v) for k, v in officer.value if isinstance(k, yaml.ScalarNode) and k.value == "id"
    )
    line_end = text.find("\n", id_value.end_mark.index)
    at = len(text) if line_end < 0 else line_end + 1
    line = " " * id_key.start_mark.column + f"password_hash: {quoted}\n"
    prefix = text[:at] if text[:at].endswith("\n") else text[:at] + "\n"
    return prefix + line + text[at:]


def write_password_hash(path: Path, officer_id: str, password_hash: str) -> None:
    """Set the hash in the file, replaced in one rename so the running duty never reads half."""
    text = path.read_text(encoding="utf-8")
    updated = with_password_hash(text, officer_id, password_hash)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(updated)
        Path(temporary).chmod(path.stat().st_mode & 0o777)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _officer_node(root: yaml.Node | None, officer_id: str) -> yaml.MappingNode | None:
    if not isinstance(root, yaml.MappingNode):
        return None
    officers = next(
        (v for k, v in root.value if isinstance(k, yaml.ScalarNode) and k.value == "officers"),
        None,
    )
    if not isinstance(officers, yaml.SequenceNode):
        return None
    for item in officers.value:
        if isinstance(item, yaml.MappingNode) and any(
            isinstance(k, yaml.ScalarNode)
            and k.value == "id"
            and isinstance(v, yaml.ScalarNode)
            and v.value.strip().lower() == officer_id.strip().lower()
            for k, v in item.value
        ):
            return item
    return None
