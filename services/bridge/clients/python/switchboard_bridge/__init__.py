"""asyncio client for the Switchboard TCP event bus bridge; standard library only."""

from .client import BridgeClient, BridgeError, BridgeFailure, Message, connect
from .codec import FrameDecoder, FrameError, encode_frame
from .trace import Span, Trace, continue_trace, parse_traceparent

__all__ = ["connect", "BridgeClient", "BridgeError", "BridgeFailure", "Message",
           "FrameDecoder", "FrameError", "encode_frame",
           "Span", "Trace", "continue_trace", "parse_traceparent"]
