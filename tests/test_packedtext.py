"""fn.packedtext: a large input held as LZ4 blocks reads as its str does, wherever the
function looks (slices, characters, find/rfind/count/startswith, a YAML loader's stream),
across block ends; and the reader packs only what it can, giving bytes back otherwise."""

from __future__ import annotations

import random

import pytest
from fn._yamlwalk import packable, read_text
from helpers import count
from hypothesis import given, note
from hypothesis import strategies as st
from test_yamlread import fuzz

from fn import inputs, packedtext
from fn.linebreaks import as_lf, line_from, newline, other_breaks
from fn.packedtext import BLOCK, pack, packed_type
from fn.selfcheck import load

Packed = packed_type()
SIZES = [1, 2, 7, 64, BLOCK]  # characters a block: the function's, and small ones for ends
SUBS = ["\n", ":", "a", "-", "ab", "\n-", "é", "zz"]


def both(text: str, size: int) -> tuple[str, Packed]:
    return text, pack(text.encode("ascii"), size)


def bounds(n: int, rng: random.Random) -> list[int | None]:
    return [None, 0, 1, n, n + 3, -1, -n - 5, *(rng.randint(-n - 2, n + 2) for _ in range(6))]


def same_as_str(text: str, size: int, seed: int = 0) -> None:
    s, p = both(text, size)
    rng = random.Random(seed)
    n = len(s)
    assert len(p) == n and p.isascii()
    assert p[:] == s and p[0:n] == s
    for a in bounds(n, rng):
        for b in bounds(n, rng):
            assert p[a:b] == s[a:b], (a, b)
            for sub in SUBS:
                assert p.find(sub, a, b) == s.find(sub, a, b), (sub, a, b)
                assert p.rfind(sub, a, b) == s.rfind(sub, a, b), (sub, a, b)
                assert p.count(sub, a, b) == s.count(sub, a, b), (sub, a, b)
    for i in [*range(-n, n)][:: max(1, n // 50)]:
        assert p[i] == s[i]
        assert p.startswith(s[i:i + 5], i % n) == s.startswith(s[i:i + 5], i % n)
        assert line_from(p, i % n) == line_from(s, i % n)
    for bad in (n, -n - 1):
        with pytest.raises(IndexError):
            p[bad]
    assert all((sub in p) == (sub in s) for sub in SUBS)
    assert (as_lf(p), other_breaks(p), newline(p)) == (p, False, "\n")


def test_a_resource_list_reads_alike_in_any_block_size():
    text = "".join(f"- name: item{i}\n  image: quay.io/acme/api:{i}\n  # c: {'x' * (i % 9)}\n"
                   for i in range(300))
    for size in SIZES:
        same_as_str(text, size, seed=size)


@fuzz(300)
@given(st.sampled_from(SIZES[:-1]), st.text(st.sampled_from(list("ab -:\n\t#")), max_size=200))
def test_reads_alike_on_random_texts(size, text):
    count("packedtext.reads_alike")
    note(text)
    same_as_str(text, size)


@pytest.mark.parametrize("use", [lambda p: p[::2], lambda p: p.find(""), lambda p: p.rfind(""),
                                 lambda p: p.count("", 1), lambda p: "" in p])
def test_what_the_function_never_asks_is_refused(use):
    with pytest.raises(ValueError):  # (str answers these; a use of them would be new)
        use(pack(b"abc", 2))


def test_a_loader_reads_its_stream_as_the_text():
    text = "a: 1\nb: [x, y]\nc: {d: e}\n" * 2000
    assert load(pack(text.encode(), 13)) == load(text) == {"a": 1, "b": ["x", "y"],
                                                           "c": {"d": "e"}}


@pytest.mark.parametrize("data, packed", [
    (b"a: 1\n\tb\n", True), (b"", True), (b"a\r\nb", False), (b"a\rb", False),
    (b"\xc3\xa9", False), (b"a\x00", False), (b"\x1b[0m", False), (b"\x7f", False),
    (b"~ }", True),
])
def test_packable(data, packed):
    assert packable(data) is packed


def read(tmp_path, data: bytes, monkeypatch, limit: int = inputs.MAX_INPUT):
    """What fn.inputs reads from a file of ``data`` (packed from 1 KB on)."""
    monkeypatch.setattr(packedtext, "PACK_FROM", 1024)
    path = tmp_path / "in.yaml"
    path.write_bytes(data)
    monkeypatch.setattr(inputs, "MAX_INPUT", limit)
    with open(path, "rb") as f:
        return inputs._read_all(f, pack=True)


def test_a_large_ascii_input_is_read_packed(tmp_path, monkeypatch):
    data = b"".join(b"- image: quay.io/acme/api:%d\n" % i for i in range(20000))
    got = read(tmp_path, data, monkeypatch)
    assert isinstance(got, Packed) and len(got) == len(data) > 3 * BLOCK
    assert got[:].encode() == data
    assert sum(map(len, got.blocks)) < len(data) / 3  # (held compressed)


@pytest.mark.parametrize("odd", [b"\xc3\xa9", b"\r\n", b"\x07"])
@pytest.mark.parametrize("where", [10, 2000, 3 * BLOCK + 5])
def test_what_cannot_be_packed_comes_back_as_bytes(tmp_path, monkeypatch, odd, where):
    data = bytearray(b"k: v\n" * 60000)
    data[where:where] = odd
    got = read(tmp_path, bytes(data), monkeypatch)
    assert isinstance(got, (bytes, str)) and not isinstance(got, Packed)
    assert (got.encode() if isinstance(got, str) else got) == data


def test_small_inputs_stay_a_str(tmp_path, monkeypatch):
    assert read(tmp_path, b"a: 1\n" * 100, monkeypatch) == "a: 1\n" * 100


def test_too_large_packed_input_is_said_to_be(tmp_path, monkeypatch):
    data = b"a: 1\n" * 40000
    got = read(tmp_path, data, monkeypatch, limit=100000)
    assert isinstance(got, Packed) and len(got) > 100000


def test_read_text_is_what_the_head_is_read_with(tmp_path):
    path = tmp_path / "in"
    path.write_bytes(b"x" * 5000)
    with open(path, "rb") as f:
        assert read_text(f.fileno(), 100) == "x" * 101


def test_without_lz4_the_input_stays_text(tmp_path, monkeypatch):
    def missing():
        raise ImportError("no lz4")

    monkeypatch.setattr(packedtext, "packed_type", missing)
    data = b"a: 1\n" * 40000
    got = read(tmp_path, data, monkeypatch)
    assert not isinstance(got, Packed) and bytes(got) == data


@pytest.mark.parametrize("make", [
    lambda: Packed([b"\x00garbage"], 5, 8)[0],  # not LZ4 of its size
    lambda: Packed([pack(b"abcdefgh", 8).blocks[0]], 5, 8)[0],  # more than its size
    lambda: Packed([b"x", b"y"], 5, 8),  # two blocks for 5 characters
    lambda: Packed([], -1, 8),
    lambda: Packed([], 0, 0),
])
def test_a_packed_text_that_cannot_be_is_refused(make):
    with pytest.raises(ValueError):
        make()


def test_a_non_ascii_block_is_refused():
    from lz4.block import compress

    with pytest.raises(ValueError):
        Packed([compress("é".encode(), store_size=False)], 2, 8)[0]


@pytest.mark.parametrize("data", [b"a\r\n", b"\x1b", "é".encode()])
def test_only_what_the_reader_can_read_as_is_is_packed(data):
    with pytest.raises(ValueError):
        pack(data, 8)
