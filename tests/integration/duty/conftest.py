"""The console every duty console test drives: in-process, over the test's database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.common.db import Database
from tests.integration.duty.console_app import Console, client_for, console_deps


@pytest.fixture
async def console(database: Database) -> AsyncIterator[Console]:
    deps = console_deps(database)
    async with client_for(deps) as client:
        yield Console(deps, client)
