"""Stored files that follow the transaction that wrote them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.files.storage import default_storage


@contextmanager
def files_kept_only_on_commit() -> Iterator[list[str]]:
    """Collects the names of the files a write stores; files are not transactional, so when
    the write fails (its transaction rolled back) they are removed again."""
    written: list[str] = []
    try:
        yield written
    except BaseException:
        for name in written:
            default_storage.delete(name)
        raise
