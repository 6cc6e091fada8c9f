"""Frames of the bridge protocol: a 4-byte big-endian length, then that many bytes of UTF-8 JSON."""

from __future__ import annotations

import json
import struct
from typing import Any, Callable, List

PREFIX_LENGTH = 4


def encode_frame(frame: dict) -> bytes:
    """One frame, ready to write."""
    payload = json.dumps(frame, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return struct.pack(">i", len(payload)) + payload


class FrameError(Exception):
    """The stream cannot be decoded any further."""


class FrameDecoder:
    """Cuts a byte stream into frames; the length is checked before any payload is kept."""

    def __init__(self, max_frame_size: int, on_frame: Callable[[dict], Any]):
        self.max_frame_size = max_frame_size
        self.on_frame = on_frame
        self.buffer = bytearray()
        self.length = -1
        self.stopped = False

    def push(self, data: bytes) -> None:
        """Adds bytes; raises FrameError (and stops) on a bad length or payload."""
        if self.stopped:
            return
        self.buffer += data
        while True:
            if self.length < 0:
                if len(self.buffer) < PREFIX_LENGTH:
                    return
                (self.length,) = struct.unpack_from(">i", self.buffer)
                del self.buffer[:PREFIX_LENGTH]
                if self.length <= 0 or self.length > self.max_frame_size:
                    self._fail(f"frame length {self.length} is not from 1 to {self.max_frame_size}")
            if len(self.buffer) < self.length:
                return
            payload = bytes(self.buffer[: self.length])
            del self.buffer[: self.length]
            self.length = -1
            try:
                frame = json.loads(payload.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                self._fail(f"frame is not UTF-8 JSON: {e}")
            if not isinstance(frame, dict):
                self._fail("frame is not a JSON object")
            self.on_frame(frame)

    def _fail(self, message: str) -> None:
        self.stopped = True
        self.buffer = bytearray()
        raise FrameError(message)


__all__: List[str] = ["encode_frame", "FrameDecoder", "FrameError", "PREFIX_LENGTH"]
