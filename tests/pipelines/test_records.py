"""TFRecord framing: our writer matches the tfrecord package's, and our reader catches corruption."""
from __future__ import annotations

import io

import pytest
from tfrecord.writer import TFRecordWriter

from pipelines.shards import records

DATA = [b"", b"a", b"hello world" * 100, bytes(range(256))]


def test_framing_is_byte_identical_to_the_tfrecord_package(tmp_path):
    """The tfrecord package computes its CRCs with another library (crc32c); same bytes expected."""
    path = tmp_path / "theirs.tfrecord"
    data = [{"a": (b"x" * n, "byte"), "b": ([n, 2 * n], "int")} for n in (0, 1, 1000)]
    writer = TFRecordWriter(str(path))
    for d in data:
        writer.write(d)
    writer.close()
    serialized = [TFRecordWriter.serialize_tf_example(d) for d in data]
    ours = io.BytesIO()
    assert records.write_records(ours, serialized) == (3, len(ours.getvalue()))
    assert ours.getvalue() == path.read_bytes()


def test_known_masked_crc():
    # The masked CRC32C of b"" and of the 8-byte length 0, as TensorFlow computes them.
    assert records.masked_crc(b"") == 0xA282EAD8
    assert records.frame(b"")[:12] == b"\x00" * 8 + records.masked_crc(b"\x00" * 8).to_bytes(4, "little")


def test_read_back():
    buf = io.BytesIO()
    records.write_records(buf, DATA)
    buf.seek(0)
    assert list(records.read_records(buf)) == DATA


@pytest.mark.parametrize("where, message", [(20, "bad data checksum"), (9, "bad length checksum")])
def test_corruption_is_detected(where, message):
    buf = bytearray(records.frame(b"some payload bytes"))
    buf[where] ^= 0x01
    with pytest.raises(records.CorruptRecordError, match=message):
        list(records.read_records(io.BytesIO(bytes(buf)), "s.tfrecord"))


def test_truncation_is_detected():
    framed = records.frame(b"x" * 50) + records.frame(b"y" * 50)
    with pytest.raises(records.CorruptRecordError,
                       match="s.tfrecord: record 1 at byte 66 claims 50 bytes of data, but 40 are left"):
        list(records.read_records(io.BytesIO(framed[:-10]), "s.tfrecord"))
