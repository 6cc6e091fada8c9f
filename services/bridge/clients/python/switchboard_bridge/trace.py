"""W3C trace context (traceparent, tracestate) as the bridge client reads and writes it.

Which trace a message belongs to, the id of the span that is a program's handling of it, and the
header a call made on behalf of that handling carries. Reading never raises: an invalid header is
no trace.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Tuple

TRACEPARENT_LENGTH = 55
"""Length of a version 00 traceparent, and of the part of a later version's that is read."""
MAX_TRACEPARENT_LENGTH = 512
"""A longer traceparent (a later version may add fields) is refused unread."""
MAX_TRACESTATE_LENGTH = 512
"""A longer tracestate is dropped (the trace goes on without it); the spec asks for 512 at least."""

_FIELDS = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_TRACESTATE = re.compile(r"[\x20-\x7e]*")
_ZERO_TRACE_ID = "0" * 32
_ZERO_SPAN_ID = "0" * 16


@dataclass(frozen=True)
class Trace:
    """The trace a message belongs to, continued by the span of the program's handling of it."""

    trace_id: str
    """32 lowercase hex digits."""
    span_id: str
    """16 lowercase hex digits, new for this handling."""
    parent_span_id: str
    """The sender's span id, from the message's traceparent."""
    sampled: bool
    """The traceparent's sampled flag: whether the trace is recorded."""
    traceparent: str
    """``00-trace_id-span_id-flags``: the traceparent a call made on behalf of this handling carries."""
    tracestate: Optional[str] = None
    """The message's tracestate as it came; None when it had none, or an invalid one."""


@dataclass(frozen=True)
class Span:
    """A finished span, as ``on_span`` gets it."""

    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    """The address the message came to."""
    kind: str
    """``SERVER`` for a message that expects a reply, ``CONSUMER`` otherwise."""
    start_micros: int
    """Microseconds since the epoch."""
    duration_micros: int
    attributes: Dict[str, str] = field(default_factory=dict)
    error: Optional[str] = None
    """Why the handling failed (the handler raised or failed the message, or its reply was not JSON)."""


def parse_traceparent(value: Any) -> Optional[Tuple[str, str, bool]]:
    """``(trace_id, parent_span_id, sampled)`` of a traceparent header, or None when it is not one.

    Version 00 exactly as the spec writes it (lowercase hex, non-zero ids, 55 characters); a later
    version's first four fields when what follows them starts with '-'; version ff never.
    """
    if not isinstance(value, str) or not TRACEPARENT_LENGTH <= len(value) <= MAX_TRACEPARENT_LENGTH:
        return None
    fields = _FIELDS.fullmatch(value, 0, TRACEPARENT_LENGTH)
    if fields is None:
        return None
    version, trace_id, parent_span_id, flags = fields.groups()
    if version == "ff" or trace_id == _ZERO_TRACE_ID or parent_span_id == _ZERO_SPAN_ID:
        return None
    if version == "00":
        if len(value) != TRACEPARENT_LENGTH:
            return None
    elif len(value) > TRACEPARENT_LENGTH and value[TRACEPARENT_LENGTH] != "-":
        return None
    return trace_id, parent_span_id, int(flags, 16) & 1 == 1


def format_traceparent(trace_id: str, span_id: str, sampled: bool) -> str:
    """A version 00 traceparent; only the sampled flag is carried on (the others are not defined for 00)."""
    return f"00-{trace_id}-{span_id}-{'01' if sampled else '00'}"


def new_span_id() -> str:
    """A random span id: 8 bytes, lowercase hex, never all zero."""
    while True:
        span_id = secrets.token_hex(8)
        if span_id != _ZERO_SPAN_ID:
            return span_id


def _header(headers: Any, name: str) -> Optional[str]:
    """The value of a header whatever the case of its name, when it is a string; headers from the wire may be anything."""
    if not isinstance(headers, Mapping):
        return None
    value = headers.get(name)
    if value is None:
        for key, candidate in headers.items():
            if isinstance(key, str) and key.lower() == name:
                value = candidate
                break
    return value if isinstance(value, str) else None


def _has_header(headers: Optional[Mapping[str, str]], name: str) -> bool:
    return headers is not None and any(isinstance(key, str) and key.lower() == name for key in headers)


def _tracestate(value: Any) -> Optional[str]:
    if isinstance(value, str) and 0 < len(value) <= MAX_TRACESTATE_LENGTH and _TRACESTATE.fullmatch(value):
        return value
    return None


def continue_trace(headers: Any) -> Optional[Trace]:
    """The trace a message with these headers belongs to, continued by a new span; None without a valid traceparent."""
    parent = parse_traceparent(_header(headers, "traceparent"))
    if parent is None:
        return None
    trace_id, parent_span_id, sampled = parent
    span_id = new_span_id()
    return Trace(trace_id, span_id, parent_span_id, sampled, format_traceparent(trace_id, span_id, sampled),
                 _tracestate(_header(headers, "tracestate")))


def with_trace(headers: Optional[Dict[str, str]], trace: Any) -> Optional[Dict[str, str]]:
    """``headers`` with the traceparent (and tracestate) of ``trace``.

    ``headers`` as they are when ``trace`` is no Trace with a valid traceparent, or when they have
    a traceparent of their own (the caller's wins; so does a tracestate of the caller's).
    """
    if not isinstance(trace, Trace) or parse_traceparent(trace.traceparent) is None or _has_header(headers, "traceparent"):
        return headers
    traced = dict(headers or {})
    traced["traceparent"] = trace.traceparent
    tracestate = _tracestate(trace.tracestate)
    if tracestate is not None and not _has_header(headers, "tracestate"):
        traced["tracestate"] = tracestate
    return traced
