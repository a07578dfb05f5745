"""The response service each integration test here drives, on the test's database."""

from __future__ import annotations

import pytest

from services.common.db import Database
from tests.integration.response.rig import Rig


@pytest.fixture
def rig(database: Database) -> Rig:
    """A response service on `database`, its clock at the rig's start."""
    return Rig(database)
