"""A file of named flat arrays, authenticated: the format of the indexes kept beside a store
(the screening index, the path index).

Nothing in it can run code when read: each part is raw numbers of a fixed, listed dtype (JSON text
travels as bytes, `uint8`), described by a JSON header. The whole file after its first line is
signed with HMAC-SHA256 under a key kept in the store (`Store.index_key`), so a file another
store wrote, one edited beside the store or one cut short is rejected before any part is read,
and the index is rebuilt from the store.

Layout: `MAGIC`, the 32-byte MAC, the header's length (8 bytes, little-endian), the header
(JSON: each part's dtype, length and offset), then the parts, each at an offset that is a
multiple of 8. Reading maps the file and every part onto its bytes without a copy.

Values that are not numbers (statements) are kept as `Lazy` sequences: one part of JSON
texts end to end and one of their offsets, each value decoded when first asked for, so reading a
file costs nothing per value and a query pays only for the values it touches; strings (ids,
names) as `Lines`, the same without the JSON.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import mmap
import os
from collections.abc import Iterable, Mapping, Sequence
from glob import escape as glob_escape
from pathlib import Path
from typing import Any, Final, Self, TypeVar, overload

import numpy as np
import numpy.typing as npt

MAGIC: Final = b"SGINDEX1"
MAC_BYTES: Final = 32
#: The only element types a part may have: numbers and booleans, never Python objects.
DTYPES: Final = frozenset({"|u1", "|i1", "|b1", "<i2", "<u2", "<i4", "<i8", "<u4", "<f4", "<f8"})

Part = npt.NDArray[np.generic]
T = TypeVar("T")


def write_parts(path: Path, parts: Mapping[str, Part], key: bytes) -> None:
    """Write the parts to `path` atomically (a temporary file beside it, then a rename). Each
    part is written from its own memory and signed as it goes (the signature is written in its
    place at the end), so writing an index of gigabytes copies none of it."""
    layout: dict[str, list[object]] = {}
    offset = 0
    flats: list[tuple[npt.NDArray[np.generic], int]] = []
    for name, array in parts.items():
        flat = np.ascontiguousarray(array).reshape(-1)
        dtype = flat.dtype.newbyteorder("<") if flat.dtype.byteorder == ">" else flat.dtype
        if dtype.str not in DTYPES:
            raise TypeError(f"part {name}: dtype {dtype.str} cannot be stored")
        flat = np.ascontiguousarray(flat.astype(dtype, copy=False))
        layout[name] = [dtype.str, len(flat), offset]
        pad = -flat.nbytes % 8
        flats.append((flat, pad))
        offset += flat.nbytes + pad
    header = json.dumps({"parts": layout}).encode()
    header += b" " * (-(len(MAGIC) + MAC_BYTES + 8 + len(header)) % 8)
    _sweep(path)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as handle:
            handle.write(MAGIC)
            handle.write(b"\0" * MAC_BYTES)
            digest = hmac.new(key, digestmod=hashlib.sha256)
            for chunk in (len(header).to_bytes(8, "little"), header):
                digest.update(chunk)
                handle.write(chunk)
            for flat, pad in flats:
                data = flat.view(np.uint8).data
                digest.update(data)
                handle.write(data)
                if pad:
                    digest.update(b"\0" * pad)
                    handle.write(b"\0" * pad)
            handle.seek(len(MAGIC))
            handle.write(digest.digest())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _sweep(path: Path) -> None:
    """Remove the temporary files of writers of `path` that died before renaming theirs (a
    command killed while writing an index leaves one of the index's size)."""
    for tmp in path.parent.glob(f"{glob_escape(path.name)}.*.tmp"):
        pid = tmp.name[len(path.name) + 1:-len(".tmp")]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            tmp.unlink(missing_ok=True)
        except (PermissionError, OSError):
            continue


def read_parts(path: Path, key: bytes) -> dict[str, Part] | None:
    """The parts of a file written with the same key; None when the file is missing, not of
    this format, cut short, altered, or signed with another key.

    The file is mapped, not read: its signature is checked a chunk at a time and each checked
    chunk is let go of again, so reading an index of gigabytes holds none of it in memory, and
    a part's pages are read from the file only when a query touches them (ids, names). Writers
    never change a file in place (`write_parts` renames a new one over it), so what is mapped
    stays what was checked."""
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size == 0:
                return None
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    start = len(MAGIC) + MAC_BYTES
    if size < start + 8 or data[: len(MAGIC)] != MAGIC or not hmac.compare_digest(
            data[len(MAGIC):start], _signature(key, data, start, size)):
        data.close()
        return None
    length = int.from_bytes(data[start : start + 8], "little")
    begin = start + 8 + length
    try:
        layout = json.loads(data[start + 8 : begin])["parts"]
        parts: dict[str, Part] = {}
        for name, (dtype, count, offset) in layout.items():
            if dtype not in DTYPES:
                return None
            parts[name] = np.frombuffer(data, dtype=np.dtype(dtype), count=int(count),
                                        offset=begin + int(offset))
    except (ValueError, KeyError, TypeError):
        return None
    return parts


#: How much of a mapped file is signed at a time before its pages are let go of.
_CHUNK: Final = 1 << 26


def _signature(key: bytes, data: mmap.mmap, start: int, size: int) -> bytes:
    """The MAC of `data[start:size]`, read a chunk at a time; each chunk's pages are dropped
    from this process once read (they stay in the system's file cache)."""
    digest = hmac.new(key, digestmod=hashlib.sha256)
    view = memoryview(data)
    try:
        for at in range(start, size, _CHUNK):
            end = min(at + _CHUNK, size)
            digest.update(view[at:end])
            page = at - at % mmap.PAGESIZE
            with contextlib.suppress(OSError, AttributeError):  # madvise: Linux, macOS
                data.madvise(mmap.MADV_DONTNEED, page, end - page)
    finally:
        view.release()
    return digest.digest()


def text_part(value: object) -> Part:
    """A JSON-able value as a part (its UTF-8 JSON text)."""
    encoded = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    return np.frombuffer(encoded, dtype=np.uint8)


def part_text(part: Part) -> object:
    """The value `text_part` stored."""
    return json.loads(part.tobytes())


def _position(number: int, size: int) -> int:
    """A sequence index as a position in [0, size), negative ones from the end."""
    if not -size <= number < size:
        raise IndexError(number)
    return number + size if number < 0 else number


#: A run of a sequence's values: their bytes end to end, and each one's length.
Span = tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]


def join_spans(spans: Sequence[Span]) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    """Runs end to end: one buffer (each run copied into it once) and the values' offsets."""
    total = sum(len(blob) for blob, _ in spans)
    out = np.empty(total, dtype=np.uint8)
    at = 0
    for blob, _ in spans:
        out[at:at + len(blob)] = blob
        at += len(blob)
    offsets = np.zeros(sum(len(sizes) for _, sizes in spans) + 1, dtype=np.int64)
    if spans:
        np.cumsum(np.concatenate([sizes for _, sizes in spans]), out=offsets[1:])
    return out, offsets


class Lines(Sequence[str]):
    """Strings end to end in one UTF-8 buffer, with their offsets: a list of millions of names
    kept without one Python object each. A string is decoded when asked for (`take` decodes
    the ones a batch of comparisons reads, and keeps them), so reading an index costs nothing
    per string. The buffer may be a view of a mapped file's bytes."""

    __slots__ = ("_blob", "_cache", "_known", "_offsets", "_view")

    def __init__(self, blob: npt.NDArray[np.uint8], offsets: npt.NDArray[np.int64]) -> None:
        self._blob = blob
        self._view = blob.data
        self._offsets = offsets
        #: Decoded strings by number, and which are: made on first `take`.
        self._cache: npt.NDArray[np.object_] | None = None
        self._known: npt.NDArray[np.bool_] | None = None

    @classmethod
    def of(cls, values: Iterable[str]) -> Self:
        encoded = [v.encode() for v in values]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)),
                  out=offsets[1:])
        return cls(np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets)

    @classmethod
    def from_parts(cls, parts: Mapping[str, Part], name: str) -> Self:
        """The sequence `parts(name)` stored, over the parts' own bytes (no copy)."""
        return cls(parts[f"{name}.blob"], parts[f"{name}.offsets"])  # type: ignore[arg-type]

    def parts(self, name: str) -> dict[str, Part]:
        """The two parts an index file stores this sequence in."""
        return {f"{name}.blob": self._blob, f"{name}.offsets": self._offsets}

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (np.array(self._blob), np.array(self._offsets)))

    @property
    def offsets(self) -> npt.NDArray[np.int64]:
        """Where each string starts in the buffer, and where the last one ends."""
        return self._offsets

    def span(self, start: int, end: int) -> Span:
        """Strings [start, end) as their bytes (a view, no copy) and each one's length: runs of
        two sequences join into one without decoding a string (`queries.screening.patch`)."""
        begin, stop = int(self._offsets[start]), int(self._offsets[end])
        return self._blob[begin:stop], np.diff(self._offsets[start:end + 1])

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def _decode(self, number: int) -> str:
        return str(self._view[int(self._offsets[number]):int(self._offsets[number + 1])],
                   "utf-8")

    @overload
    def __getitem__(self, number: int) -> str: ...

    @overload
    def __getitem__(self, number: slice) -> list[str]: ...

    def __getitem__(self, number: int | slice) -> str | list[str]:
        if isinstance(number, slice):
            return [self._decode(i) for i in range(*number.indices(len(self)))]
        number = _position(number, len(self))
        if self._known is not None and self._known[number]:
            return self._cache[number]  # type: ignore[index, no-any-return]
        return self._decode(number)

    def _decoded(self, numbers: npt.NDArray[np.int64]) -> list[str]:
        view = self._view
        starts = self._offsets[numbers].tolist()
        ends = self._offsets[numbers + 1].tolist()
        return [str(view[b:e], "utf-8") for b, e in zip(starts, ends, strict=True)]

    def _caches(self) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.bool_]]:
        if self._cache is None or self._known is None:
            self._cache = np.full(len(self), None, dtype=object)
            self._known = np.zeros(len(self), dtype=bool)
        return self._cache, self._known

    def take(self, numbers: npt.NDArray[np.int64]) -> npt.NDArray[np.object_]:
        """The strings of `numbers` as an object array (for rapidfuzz's pairwise calls); the
        ones decoded are kept, for the next batch and for `self[i]`."""
        cache, known = self._caches()
        missing = ~known[numbers]
        if missing.any():
            fresh = np.unique(numbers[missing])
            cache[fresh] = self._decoded(fresh)
            known[fresh] = True
        return cache[numbers]

    def decode_all(self) -> None:
        """Decode every string now (before forking workers, so they share them instead of
        each decoding its own)."""
        cache, known = self._caches()
        cache[:] = self._decoded(np.arange(len(self), dtype=np.int64))
        known[:] = True


class Lazy(Sequence[T]):
    """Values kept as JSON text one by one (one buffer, offsets) and read when first asked for:
    reading an index file costs milliseconds, not the seconds that rebuilding every object
    would take, and a query only ever reads the few values it touches. The buffer may be a
    view of the file's bytes (a `memoryview`): nothing is copied but the slices read."""

    __slots__ = ("_blob", "_offsets", "_values")

    def __init__(self, blob: bytes | memoryview, offsets: npt.NDArray[np.int64]) -> None:
        self._blob = blob
        self._offsets = offsets
        # Filled as values are read: nothing is allocated per value up front.
        self._values: dict[int, T] = {}

    @classmethod
    def encode(cls, values: Iterable[object]) -> tuple[bytes, npt.NDArray[np.int64]]:
        chunks = [json.dumps(v, ensure_ascii=False, separators=(",", ":")).encode()
                  for v in values]
        offsets = np.zeros(len(chunks) + 1, dtype=np.int64)
        np.cumsum([len(c) for c in chunks], out=offsets[1:])
        return b"".join(chunks), offsets

    @classmethod
    def of(cls, values: Iterable[Any]) -> Self:
        return cls(*cls.encode(values))

    @classmethod
    def from_parts(cls, parts: Mapping[str, Part], name: str) -> Self:
        """The sequence `parts(name)` stored, over the parts' own bytes (no copy)."""
        return cls(memoryview(parts[f"{name}.blob"]),  # type: ignore[arg-type]
                   parts[f"{name}.offsets"])  # type: ignore[arg-type]

    def parts(self, name: str) -> dict[str, Part]:
        """The two parts an index file stores this sequence in."""
        return {f"{name}.blob": np.frombuffer(self._blob, dtype=np.uint8),
                f"{name}.offsets": self._offsets}

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (bytes(self._blob), self._offsets))

    def span(self, start: int, end: int) -> Span:
        """Items [start, end) as their JSON text (a view, no copy) and each one's length: runs
        of two sequences join into one without reading an item (`queries.screening.patch`)."""
        begin, stop = int(self._offsets[start]), int(self._offsets[end])
        return np.frombuffer(self._blob, dtype=np.uint8)[begin:stop], np.diff(
            self._offsets[start:end + 1])

    def _make(self, value: Any) -> T:
        return value  # type: ignore[no-any-return]

    def __len__(self) -> int:
        return len(self._offsets) - 1

    @overload
    def __getitem__(self, number: int) -> T: ...

    @overload
    def __getitem__(self, number: slice) -> list[T]: ...

    def __getitem__(self, number: int | slice) -> T | list[T]:
        if isinstance(number, slice):
            return [self[i] for i in range(*number.indices(len(self)))]
        try:
            return self._values[number]
        except KeyError:
            pass
        number = _position(number, len(self))
        begin, end = int(self._offsets[number]), int(self._offsets[number + 1])
        value = self._values[number] = self._make(json.loads(bytes(self._blob[begin:end])))
        return value


__all__ = ["Lazy", "Lines", "Span", "join_spans", "part_text", "read_parts", "text_part",
           "write_parts"]
