"""TFRecord framing checks: no length is trusted beyond the file's end or the ceiling, every
checksum is verified, and each refusal is one line naming the shard, record and byte offset."""
from __future__ import annotations

import io

import pytest

from blurgen.shards import framing

RECORDS = [b"first record", b"", b"x" * 1000, bytes(range(256))]


def shard(records=RECORDS) -> bytes:
    return b"".join(framing.frame(r) for r in records)


def offsets(records=RECORDS) -> list[int]:
    out, at = [], 0
    for r in records:
        out.append(at)
        at += framing.HEADER_BYTES + len(r) + framing.FOOTER_BYTES
    return out


def with_length(data: bytes, index: int, length: int, valid: bool = True) -> bytes:
    """``data`` with record ``index``'s header replaced by one that claims ``length``."""
    at = offsets()[index]
    return data[:at] + framing.header(length, valid) + data[at + framing.HEADER_BYTES:]


class Spy(io.BytesIO):
    """A file that remembers the largest read asked of it: what a reader was about to allocate."""

    largest = 0

    def read(self, n=-1):
        self.largest = max(self.largest, n if n >= 0 else len(self.getvalue()))
        return super().read(n)


def test_known_masked_crc_and_header():
    # The masked CRC32C of b"" and of the 8-byte length 0, as TensorFlow computes them.
    assert framing.masked_crc(b"") == 0xA282EAD8
    assert framing.header(0) == b"\x00" * 8 + framing.masked_crc(b"\x00" * 8).to_bytes(4, "little")
    assert framing.frame(b"abc")[:12] == framing.header(3)
    assert framing.header(3, valid=False) != framing.header(3)


def test_sound_shard_reads_back_and_passes_the_header_pass():
    data = shard()
    assert list(framing.read_records(io.BytesIO(data), "s")) == RECORDS
    found = framing.scan_framing(io.BytesIO(data), len(data), "s")
    assert found.ok and found.records == len(RECORDS) and found.size == len(data)
    empty = framing.scan_framing(io.BytesIO(b""), 0, "s")
    assert empty.ok and empty.records == 0


# 1273: one byte more than fits (record 2's 1000 bytes, its checksum and record 3's 272 bytes are left).
@pytest.mark.parametrize("length", [40 << 30, 2**64 - 1, 2**63, len(shard()), 1273])
def test_a_length_beyond_the_file_is_refused_before_anything_is_read(length):
    data = with_length(shard(), 2, length)
    f = Spy(data)
    with pytest.raises(framing.CorruptRecordError) as err:
        list(framing.read_records(f, "crafted.tfrecord"))
    message = str(err.value)
    at = offsets()[2]
    assert message.startswith(f"crafted.tfrecord: record 2 at byte {at:,} claims {length:,} bytes of data")
    assert "\n" not in message and "write it again" in message
    assert f.largest <= len(data), "the reader asked for more bytes than the file holds"
    found = framing.scan_framing(io.BytesIO(data), len(data), "crafted.tfrecord")
    assert (found.records, str(found.error)) == (2, message)


def test_a_wrong_length_that_fits_fails_a_checksum_instead():
    data = with_length(shard(), 2, 1272)  # fits exactly: the data checksum read is record 3's last bytes
    with pytest.raises(framing.CorruptRecordError, match="record 2 at byte 44 has a bad data checksum"):
        list(framing.read_records(io.BytesIO(data), "s"))
    assert framing.scan_framing(io.BytesIO(data), len(data), "s").ok


def test_a_length_that_leaves_no_room_for_the_data_checksum_is_refused():
    data = shard([b"abcd"])  # 12 + 4 + 4 bytes: a length of 5 or 6 or 7 still 'fits' without the checksum
    for length in (5, 6, 7, 8):
        with pytest.raises(framing.CorruptRecordError, match="record 0 at byte 0 claims"):
            list(framing.read_records(io.BytesIO(framing.header(length) + data[12:]), "s"))


def test_a_bad_length_checksum_is_caught_in_both_passes():
    data = with_length(shard(), 1, 12345, valid=False)
    with pytest.raises(framing.CorruptRecordError, match="record 1 at byte 28 has a bad length checksum"):
        list(framing.read_records(io.BytesIO(data), "s"))
    found = framing.scan_framing(io.BytesIO(data), len(data), "s")
    assert found.records == 1 and "bad length checksum" in found.error.reason


def test_a_bad_data_checksum_is_caught_by_the_reader_and_left_alone_by_the_header_pass():
    data = bytearray(shard())
    data[offsets()[2] + framing.HEADER_BYTES + 5] ^= 0x10
    with pytest.raises(framing.CorruptRecordError, match="record 2 at byte 44 has a bad data checksum"):
        list(framing.read_records(io.BytesIO(bytes(data)), "s"))
    assert framing.scan_framing(io.BytesIO(bytes(data)), len(data), "s").ok, "the pass reads no data"


@pytest.mark.parametrize("cut", [1, 4, 11, 12, 13, 200])
def test_truncated_files_are_refused_at_the_record_they_cut(cut):
    data = shard()
    short = data[:len(data) - cut]
    last = len(RECORDS) - 1
    with pytest.raises(framing.CorruptRecordError, match=f"record {last} at byte {offsets()[last]:,} "):
        list(framing.read_records(io.BytesIO(short), "s"))
    assert framing.scan_framing(io.BytesIO(short), len(short), "s").records == last


def test_trailing_bytes_shorter_than_a_header_are_refused():
    data = shard() + b"\x00" * 5
    with pytest.raises(framing.CorruptRecordError, match="cut short .header: 5 of 12 bytes"):
        list(framing.read_records(io.BytesIO(data), "s"))
    assert framing.scan_framing(io.BytesIO(data), len(data), "s").records == len(RECORDS)


def test_the_ceiling_bounds_a_record_even_where_the_file_holds_it(monkeypatch):
    data = shard()
    with pytest.raises(framing.CorruptRecordError, match="record 2 at byte 44 claims 1,000 bytes, more than the 999 "
                                                         "bytes one record may hold .if records this large are real, "
                                                         "set BLURGEN_MAX_RECORD_MIB higher"):
        list(framing.read_records(io.BytesIO(data), "s", max_record=999))
    assert list(framing.read_records(io.BytesIO(data), "s", max_record=1000)) == RECORDS
    assert framing.scan_framing(io.BytesIO(data), len(data), "s", max_record=999).records == 2
    # A file large enough for the claim (here: said to be) is bounded by the ceiling alone.
    f = Spy(with_length(data, 0, 40 << 30))
    with pytest.raises(framing.CorruptRecordError, match="claims 40,960.0 MiB, more than the 256.0 MiB"):
        list(framing.read_records(f, "huge", size=2**62))
    assert f.largest == framing.HEADER_BYTES


def test_the_ceiling_setting(monkeypatch):
    monkeypatch.delenv(framing.MAX_RECORD_ENV, raising=False)
    assert framing.max_record_bytes() == 256 << 20
    monkeypatch.setenv(framing.MAX_RECORD_ENV, "1024")
    assert framing.max_record_bytes() == 1 << 30
    assert framing.max_record_bytes(5) == 5, "an explicit ceiling wins over the environment"
    for bad in ("0", "-3", "1.5", "lots"):
        monkeypatch.setenv(framing.MAX_RECORD_ENV, bad)
        with pytest.raises(ValueError, match=f"BLURGEN_MAX_RECORD_MIB='{bad}': .* positive whole number"):
            framing.max_record_bytes()
    for bad in (0, -1, True, 2.5):
        with pytest.raises(ValueError, match="max_record must be a positive number of bytes"):
            framing.max_record_bytes(bad)


def test_the_header_pass_reads_only_headers():
    records = [bytes([i]) * 50_000 for i in range(20)]
    data = shard(records)
    f = Spy(data)
    found = framing.scan_framing(f, len(data), "s")
    assert found.ok and found.records == 20 and f.largest == framing.HEADER_BYTES


def test_check_shards_keeps_order_and_names_unreadable_files(tmp_path):
    paths = []
    for i in range(5):
        p = tmp_path / f"s{i}.tfrecord"
        p.write_bytes(with_length(shard(), 1, 10**9) if i == 3 else shard()[:i * 7 + (i > 0)])
        paths.append(str(p))
    found = framing.check_shards(paths, workers=3)
    assert [f.shard for f in found] == paths
    assert [f.ok for f in found] == [True, False, False, False, False]
    assert found[3].records == 1 and "claims 1,000,000,000 bytes" in found[3].error.reason
    with pytest.raises(ValueError, match=r"nothing.tfrecord: cannot be read \(No such file or directory\)"):
        framing.check_shards(paths + [str(tmp_path / "nothing.tfrecord")])
