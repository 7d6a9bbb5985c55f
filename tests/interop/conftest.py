from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.interop.portal_sim import free_port
from tests.interop.receiver import Receiver


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    """A webhook receiver process that checks every signature (tests/interop/receiver.py)."""
    hooks = Receiver(free_port(), tmp_path)
    hooks.start()
    try:
        yield hooks
    finally:
        hooks.stop()
