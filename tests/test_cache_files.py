"""plankg.build.cache: what the caches keep with marshal is read back as written, or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from plankg.build import cache

VALUE = {"rankings": {"k": [[0, 0.5, 1, {"char-ngram": 0.25}, "shared words: 就業"]]}, "places": b"\x00\x01", "n": None}


def test_a_value_is_read_back_as_written_under_its_kind(tmp_path: Path):
    path = tmp_path / "kept.bin"
    cache.write_marshal(path, "test 1", VALUE)
    assert cache.read_marshal(path, "test 1") == VALUE
    assert cache.read_marshal(path, "test 2") is None  # another kind, or another format of it
    assert cache.read_marshal(tmp_path / "missing.bin", "test 1") is None


@pytest.mark.parametrize("damage", ["cut", "a changed byte", "no first line", "empty"])
def test_a_damaged_file_is_not_read(tmp_path: Path, damage: str):
    path = tmp_path / "kept.bin"
    cache.write_marshal(path, "test 1", VALUE)
    data = bytearray(path.read_bytes())
    if damage == "a changed byte":
        data[-3] ^= 0x20
    path.write_bytes({"cut": bytes(data[:-4]), "a changed byte": bytes(data), "no first line": bytes(data).split(b"\n", 1)[1],
                      "empty": b""}[damage])
    assert cache.read_marshal(path, "test 1") is None


def test_a_value_marshal_cannot_write_is_not_kept(tmp_path: Path):
    class Name(str):
        pass

    path = tmp_path / "kept.bin"
    cache.write_marshal(path, "test 1", {"name": Name("x")})
    assert not path.exists()
