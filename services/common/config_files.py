"""Load a YAML configuration file into a pydantic model, with errors that name file, line and field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from services.common.errors import ConfigError
from services.common.logs import get_logger, register_secrets, secret_values

_log = get_logger(__name__)

T = TypeVar("T", bound=BaseModel)

# libyaml's reader, where PyYAML was built with it (its wheels are): a 5,000-contact member
# directory is read in 0.2 s instead of 1.1 s, on the way of every start of a service that
# reads it. Same resolvers and constructors, so the same values.
_FAST_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml_model(path: Path, model: type[T], *, context: dict[str, Any] | None = None) -> T:
    """Read `path` and validate it as `model`; raise ConfigError naming file:line:column."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err.strerror or err}") from err
    try:
        data = yaml.load(text, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        # Said as the Python reader says it, which libyaml words differently here and there.
        data = _strict_load(path, text)
    if data is None:
        data = {}
    try:
        loaded = model.model_validate(data, context=context)
    except ValidationError as err:
        # The node tree, with each node's line and column, only to name where a field is.
        raise ConfigError(_describe(path, yaml.compose(text, Loader=yaml.SafeLoader), err)) from err
    # Apprise URLs, password hashes and other secrets of the file must never reach a log line.
    register_secrets(*secret_values(loaded))
    return loaded


def _strict_load(path: Path, text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(err, "problem", None) or str(err)
        raise ConfigError(f"{where}: invalid YAML: {problem}") from err


def _describe(path: Path, root: yaml.Node | None, err: ValidationError) -> str:
    lines = [f"{path}: {err.error_count()} error(s)"]
    for error in err.errors():
        loc = [p for p in error["loc"] if not isinstance(p, str) or not p.startswith("function-")]
        where = locate(path, root, loc, at_key=error["type"] == "extra_forbidden")
        field = ".".join(str(p) for p in loc) or "(document)"
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        lines.append(f"  {where}: {field}: {message}")
    return "\n".join(lines)


def locate(path: Path, root: yaml.Node | None, loc: list[Any], *, at_key: bool = False) -> str:
    """Name the `file:line:column` of a location in a YAML document (its node tree)."""
    node = _node_at(root, loc, at_key=at_key)
    if node is None:
        return str(path)
    return f"{path}:{node.start_mark.line + 1}:{node.start_mark.column + 1}"


def _node_at(node: yaml.Node | None, loc: list[Any], *, at_key: bool) -> yaml.Node | None:
    """Walk the YAML node tree along a pydantic error location; stop at the deepest match."""
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(
                (
                    (k, v)
                    for k, v in node.value
                    if isinstance(k, yaml.ScalarNode) and k.value == str(part)
                ),
                None,
            )
            if match is None:
                return node
            key_node, value_node = match
            # An unknown key is best pointed at by the key itself.
            node = key_node if at_key and part == loc[-1] else value_node
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
        else:
            return node
    return node


V = TypeVar("V")


class WatchedFile(Generic[V]):
    """A configuration file as a running service sees it: re-read when it changes on disk.

    A broken edit is logged and the last good version stays in force; at start a broken file
    raises ConfigError, so a service never runs on nothing.
    """

    def __init__(self, path: Path, load: Callable[[Path], V], *, what: str) -> None:
        self.path = path
        self.load = load
        self.what = what  # names the log events: `<what>_reloaded`, `<what>_invalid_kept_previous`
        self._stamp = self._stat()
        self._value = load(path)

    def _stat(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    def current(self) -> V:
        """Return the newest valid version, re-reading the file first if it changed."""
        stamp = self._stat()
        if stamp is not None and stamp != self._stamp:
            self._stamp = stamp
            try:
                self._value = self.load(self.path)
                _log.info(f"{self.what}_reloaded", path=str(self.path))
            except ConfigError as err:
                _log.error(f"{self.what}_invalid_kept_previous", error=str(err))
        return self._value
