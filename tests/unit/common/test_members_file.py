"""A broken member directory stops start-up with file, line and field; a broken edit is survived."""

from __future__ import annotations

import ast
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from services.common.errors import ConfigError
from services.common.members_file import MemberDirectoryFile, load_member_directory
from services.common.service import ServiceContext, build_context
from services.common.settings import ServiceName, Settings
from services.notifier.main import setup as notifier_setup
from services.response.main import setup as response_setup
from services.triage.main import setup as triage_setup

ROOT = Path(__file__).resolve().parents[3]

GOOD = """organisations:
  - id: one
    name_ja: 一
    name_en: One
    kind: ngo
    contacts: [{id: a, name: A, email: a@example.org}]
"""


def test_an_unknown_key_names_the_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "members.yaml"
    path.write_text(GOOD.replace("    kind: ngo\n", "    kind: ngo\n    colour: blue\n"))
    with pytest.raises(ConfigError) as err:
        load_member_directory(path)
    assert f"{path}:6:5: organisations.0.colour: unknown key" in str(err.value)


def test_an_unknown_region_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "members.yaml"
    path.write_text(GOOD + "    subscription: {regions: [South-East Asia]}\n")
    with pytest.raises(ConfigError) as err:
        load_member_directory(path)
    assert (
        f"{path}:7:30: organisations.0.subscription.regions.0: "
        "unknown UN M49 region 'South-East Asia'"
    ) in str(err.value)


def test_a_contact_without_any_channel_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "members.yaml"
    path.write_text(GOOD.replace(", email: a@example.org", ""))
    with pytest.raises(ConfigError, match="needs an email or at least one apprise URL"):
        load_member_directory(path)


def test_an_edited_directory_is_picked_up_and_a_broken_edit_keeps_the_last_good_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "members.yaml"
    path.write_text(GOOD)
    directory = MemberDirectoryFile(path)
    assert [o.id for o in directory.current().organisations] == ["one"]

    path.write_text(GOOD.replace("id: one", "id: two"))
    os.utime(path, ns=(1, 1))
    assert [o.id for o in directory.current().organisations] == ["two"]

    path.write_text("organisations: [")
    os.utime(path, ns=(2, 2))
    assert [o.id for o in directory.current().organisations] == ["two"]


# Each service that reads the directory, as it starts.
READERS: dict[ServiceName, Callable[[ServiceContext], Awaitable[None]]] = {
    "notifier": notifier_setup,
    "response": response_setup,
    "triage": triage_setup,
}


@pytest.mark.parametrize("service", sorted(READERS))
async def test_a_file_the_notifier_refuses_no_service_starts_on(
    service: ServiceName, tmp_path: Path
) -> None:
    path = tmp_path / "members.yaml"
    path.write_text(GOOD + "    subscription: {regions: [South-East Asia]}\n")
    settings = Settings(_env_file=None, members_file=path, var_dir=tmp_path)  # type: ignore[call-arg]
    with pytest.raises(ConfigError, match="unknown UN M49 region 'South-East Asia'"):
        await READERS[service](build_context(service, settings))


def test_only_the_one_loader_reads_a_member_directory_from_a_file() -> None:
    # A directory read another way would skip the region check the loader adds.
    loader = ROOT / "services" / "common" / "members_file.py"
    readers = []
    for path in sorted((ROOT / "services").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            called = ast.unparse(node.func)
            arguments = {ast.unparse(a) for a in node.args}
            if called.startswith("MemberDirectory.model_validate") or (
                "MemberDirectory" in arguments and called.endswith("load_yaml_model")
            ):
                readers.append(str(path.relative_to(ROOT)))
    assert readers == [str(loader.relative_to(ROOT))]
