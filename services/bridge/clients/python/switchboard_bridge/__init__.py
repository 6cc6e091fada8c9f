"""asyncio client for the Switchboard TCP event bus bridge; standard library only."""

from .client import BridgeClient, BridgeError, BridgeFailure, Message, connect
from .codec import FrameDecoder, FrameError, encode_frame

__all__ = ["connect", "BridgeClient", "BridgeError", "BridgeFailure", "Message",
           "FrameDecoder", "FrameError", "encode_frame"]
