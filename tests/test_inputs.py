"""Reading the input (fn.inputs.read_input): the compiled reader's read_text, which reads
an ASCII input straight into the text (no bytes object beside it), gives what decoding the
bytes gives, on files and pipes, ASCII or not, and stops past the size limit."""

from __future__ import annotations

import io
import os
import sys
import threading
import time

import pytest

from fn import _yamlwalk, inputs  # (built by .ci/run's install: test_yamlwalk says so)
from fn.problems import Problem


def _piped(data: bytes, chunk: int = 4096, pause: float = 0):
    """A pipe's read end; a thread writes ``data`` into it in chunks (``pause`` seconds
    after each, so that each is a read of its own), then closes it."""
    r, w = os.pipe()

    def write() -> None:
        try:
            with os.fdopen(w, "wb", buffering=0) as f:
                for i in range(0, len(data), chunk):
                    f.write(data[i:i + chunk])
                    time.sleep(pause)
        except BrokenPipeError:  # the reader stopped at its limit
            pass

    threading.Thread(target=write, daemon=True).start()
    return os.fdopen(r, "rb")


TEXTS = {
    "empty": b"",
    "ascii, one chunk": b"apiVersion: v1\nkind: ResourceList\nitems: []\n",
    "ascii, many chunks": b"- image: quay.io/acme/api:1.0\n" * 20_000,  # 600 KB: grows
    "non-ASCII late": b"a: b\n" * 30_000 + "# caf\u00e9 \u2014 \u65e5\u672c\n".encode(),
    "non-ASCII first": "# \u00e9\n".encode() + b"a: b\n" * 1000,
    "BOM": b"\xef\xbb\xbfa: b\n",
}


@pytest.mark.parametrize("name", TEXTS)
def test_read_text_on_a_pipe_is_the_decoded_bytes(name):
    data = TEXTS[name]
    with _piped(data) as stream:
        got = inputs.read_input(stream, "stdin")
    assert got == data.decode("utf-8")
    assert type(got) is str


@pytest.mark.parametrize("name", TEXTS)
def test_read_text_on_a_file_is_the_decoded_bytes(name, tmp_path):
    path = tmp_path / "in.yaml"
    path.write_bytes(TEXTS[name])
    with open(path, "rb") as stream:
        assert inputs.read_input(stream, str(path)) == TEXTS[name].decode("utf-8")


def test_ascii_comes_as_text_and_the_rest_as_bytes(tmp_path):
    for data, kind in ((b"a: b\n" * 100, str), ("a: \u00e9\n".encode() * 100, bytes)):
        path = tmp_path / "in.yaml"
        path.write_bytes(data)
        with open(path, "rb") as f:
            got = _yamlwalk.read_text(f.fileno(), 1 << 20)
        assert type(got) is kind
        assert (got.encode() if kind is str else got) == data


@pytest.mark.parametrize("data", [b"x" * 5000, "\u00e9".encode() * 2500])
def test_read_text_stops_one_past_the_limit(data):
    with _piped(data, chunk=700) as stream:
        got = _yamlwalk.read_text(stream.fileno(), 1000)
    assert len(got) == 1001  # (bytes, or ASCII text: one byte a character)


@pytest.mark.parametrize("data", ["\u00e9: x\n".encode(), "\u65e5: x\n".encode()])
def test_a_first_read_of_one_byte_not_ascii(data):
    """The bytes go on from that one byte (a new object: not Python's shared one-byte
    bytes, which cannot be resized)."""
    with _piped(data, chunk=1, pause=0.05) as stream:
        assert inputs.read_input(stream, "stdin") == data.decode()


@pytest.mark.parametrize("data", [b"\xff", b"a\xff"])
def test_one_bad_byte_is_named(data, tmp_path):
    path = tmp_path / "in.yaml"
    path.write_bytes(data)
    with open(path, "rb") as f, pytest.raises(Problem) as exc:
        inputs.read_input(f, "stdin")
    assert exc.value.message.endswith(f"(bad byte at offset {len(data) - 1})")


def test_a_limit_out_of_range_is_refused():
    with pytest.raises(ValueError):
        _yamlwalk.read_text(0, -1)
    with pytest.raises(ValueError):
        _yamlwalk.read_text(0, sys.maxsize)


def test_bad_utf8_names_the_offset_as_before(tmp_path):
    path = tmp_path / "in.yaml"
    path.write_bytes(b"a: b\n" * 10 + b"c: \xff\n")
    with open(path, "rb") as f, pytest.raises(Problem) as exc:
        inputs.read_input(f, "stdin")
    assert exc.value.message == "stdin: input is not UTF-8 text (bad byte at offset 53)"


def test_a_stream_without_a_file_is_read_as_before():
    assert inputs.read_input(io.BytesIO("a: \u00e9\n".encode()), "stdin") == "a: \u00e9\n"
