"""Spreading one logical item over several: DynamoDB caps an item at 400 KB and prices a write
by the size of the item it lands in, so an item that gains an attribute per house is split by
a hash of the house."""

from __future__ import annotations

import zlib

# The global consumption and production tables: ~625 houses an item at 10,000 (14 KB);
# an item holds ~18,000 (400 KB), so 16 shards carry ~290,000 houses.
GLOBAL_SHARDS = 16


def shard_of(key: str, shards: int) -> str:
    """The shard (two digits) `key` belongs to among `shards`: crc32, stable across processes
    and Python versions, unlike hash()."""
    return f"{zlib.crc32(key.encode()) % shards:02d}"
