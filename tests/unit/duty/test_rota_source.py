"""The running service re-reads an edited rota, and keeps the last good one when an edit is broken."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from services.common.errors import ConfigError
from services.duty.rota_source import RotaSource
from tests.integration.duty.factories import rota_dict


def write(path: Path, data: dict[str, object] | str, mtime: int) -> None:
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
    os.utime(path, (mtime, mtime))


def test_an_edited_rota_is_picked_up_and_a_broken_edit_keeps_the_previous(tmp_path: Path) -> None:
    path = tmp_path / "rota.yaml"
    write(path, rota_dict(), 1_000)
    source = RotaSource(path)
    assert source().officer("ito") is not None

    edited = rota_dict()
    edited["officers"][2]["name"] = "Ito Mari (acting)"  # type: ignore[index]
    write(path, edited, 2_000)
    assert source().officer("ito").name == "Ito Mari (acting)"  # type: ignore[union-attr]

    write(path, "officers: [", 3_000)
    assert source().officer("ito").name == "Ito Mari (acting)"  # type: ignore[union-attr]


def test_a_broken_rota_at_start_stops_the_service(tmp_path: Path) -> None:
    path = tmp_path / "rota.yaml"
    write(path, "officers: []\n", 1_000)
    with pytest.raises(ConfigError, match=r"rota\.yaml"):
        RotaSource(path)
