"""asyncio client for the Switchboard TCP event bus bridge (protocol: services/bridge/README.md)."""

from __future__ import annotations

import asyncio
import inspect
import itertools
import logging
import random
import secrets
import ssl as ssl_module
import time
from typing import Any, Awaitable, Callable, Dict, Optional, Tuple, Union

from .codec import FrameDecoder, FrameError, encode_frame
from .trace import Span, Trace, continue_trace, with_trace

log = logging.getLogger("switchboard_bridge")


class BridgeError(Exception):
    """A failure reported by the bridge or the bus, or found by the client.

    ``code`` is the bridge's error code (``access_denied``, ``no_handlers``, ``timeout``,
    ``recipient_failure``, ...) or one of the client's own: ``timeout``, ``connection_lost``,
    ``not_connected``, ``closed``, ``protocol_error``.
    """

    def __init__(self, code: str, message: str = "", failure_code: Optional[int] = None,
                 failure_type: Optional[str] = None, address: Optional[str] = None):
        super().__init__(message or code)
        self.code = code
        self.message = message or code
        self.failure_code = failure_code
        self.failure_type = failure_type
        self.address = address

    @classmethod
    def from_frame(cls, frame: dict) -> "BridgeError":
        """The error an ``err`` frame reports.

        Its code is in ``message``, as from Vert.x's TCP bridge, except for a failed request
        (``failureType`` set), whose ``message`` is the failure's own; this bridge also sends the
        code as ``code`` and its sentence as ``description``.
        """
        failure_type = frame.get("failureType")
        code = frame.get("code") or (str(failure_type).lower() if failure_type else frame.get("message")) or "error"
        return cls(code, frame.get("description") or frame.get("message", ""), frame.get("failureCode"),
                   failure_type, frame.get("sourceAddress", frame.get("address")))


class BridgeFailure(Exception):
    """Raised by a handler to fail the message it handles with this code and message."""

    def __init__(self, failure_code: int, message: str):
        super().__init__(message)
        self.failure_code = int(failure_code)
        self.message = message


class Message:
    """A message from the bus: a delivery to a registered address, or the answer to a request."""

    def __init__(self, client: "BridgeClient", frame: dict):
        self.address: str = frame.get("address")
        self.body: Any = frame.get("body")
        self.headers: Dict[str, str] = frame.get("headers") or {}
        self.reply_address: Optional[str] = frame.get("replyAddress")
        self.is_send: bool = frame.get("send", True)
        self.answered = False
        self.failure: Optional[BridgeFailure] = None
        """How the message was failed (by its handler, or for a reply that is not JSON), if it was."""
        self._client = client
        self._trace: Union[Trace, None, bool] = False
        self._answer_written: Optional[int] = None

    @property
    def expects_reply(self) -> bool:
        return self.reply_address is not None

    @property
    def trace(self) -> Optional[Trace]:
        """The trace this message belongs to, continued by a span of its own (the program's handling of it).

        None without a valid ``traceparent`` header. Made when first asked for, then the same.
        """
        if self._trace is False:
            self._trace = continue_trace(self.headers)
        return self._trace

    async def reply(self, body: Any = None, headers: Optional[Dict[str, str]] = None, parent: Any = None) -> None:
        """Answers the message; ``parent`` as for ``BridgeClient.send``."""
        self._claim()
        try:
            await self._client._acknowledged({"type": "send", "address": self.reply_address, "body": body,
                                              "headers": _headers(headers, parent)}, written=self._written)
        except (TypeError, ValueError):  # the body is not JSON: nothing was sent, it may still be answered
            self.answered = False
            raise

    async def fail(self, failure_code: int, message: str) -> None:
        """Fails the message: its sender gets a failure with this code and message."""
        self._claim()
        self.failure = BridgeFailure(failure_code, str(message))
        await self._client._acknowledged({"type": "send", "address": self.reply_address,
                                          "failureCode": int(failure_code), "message": str(message)}, written=self._written)

    async def request(self, body: Any = None, timeout: Optional[float] = None, parent: Any = None) -> "Message":
        """Answers the message and waits for the answer to that answer."""
        self._claim()
        return await self._client.request(self.reply_address, body, timeout=timeout, parent=parent)

    def _written(self) -> None:
        self._answer_written = time.perf_counter_ns()

    def _claim(self) -> None:
        if not self.expects_reply:
            raise BridgeError("no_reply_address", "this message does not expect a reply")
        if self.answered:
            raise BridgeError("already_answered", "this message was answered already")
        self.answered = True


NO_HANDLER_FAILURE = 404
"""failureCode of a message that reached this client for an address it no longer handles."""

Handler = Callable[[Message], Union[Any, Awaitable[Any]]]
SpanHook = Callable[[Span], Union[None, Awaitable[None]]]


def _headers(headers: Optional[Dict[str, str]], parent: Any) -> Optional[Dict[str, str]]:
    """The headers of a frame: the caller's, with the trace of ``parent`` (a Message or a Trace) when it has one."""
    if parent is None:
        return headers
    return with_trace(headers, parent.trace if isinstance(parent, Message) else parent)


async def connect(host: str = "127.0.0.1", port: int = 7000, **options: Any) -> "BridgeClient":
    """Connects and returns a ready client (authenticated, when a token is given).

    Options: ``token``, ``ssl`` (an ``ssl.SSLContext``), ``request_timeout`` (s, 30),
    ``ping_interval`` (s, 20), ``ping_timeout`` (s, 10), ``connect_timeout`` (s, 10),
    ``max_frame_size`` (1 MiB), ``reconnect`` (True), ``reconnect_delay`` (s, 0.1),
    ``max_reconnect_delay`` (s, 10), ``retry_initial_connect`` (False), ``on_span`` (None: a
    callable given each handler's Span for a message of a sampled trace).
    """
    client = BridgeClient(host, port, **options)
    await client._start()
    return client


class BridgeClient:
    """One connection to the bridge, re-established after it drops, with handlers registered again."""

    def __init__(self, host: str, port: int, token: Optional[str] = None, ssl: Union[ssl_module.SSLContext, bool, None] = None,
                 request_timeout: float = 30.0, ping_interval: float = 20.0, ping_timeout: float = 10.0,
                 connect_timeout: float = 10.0, max_frame_size: int = 1024 * 1024, reconnect: bool = True,
                 reconnect_delay: float = 0.1, max_reconnect_delay: float = 10.0, retry_initial_connect: bool = False,
                 server_hostname: Optional[str] = None, on_span: Optional[SpanHook] = None):
        self.host, self.port, self.token, self.ssl = host, port, token, ssl
        self.request_timeout = request_timeout
        self.ping_interval, self.ping_timeout = ping_interval, ping_timeout
        self.connect_timeout = connect_timeout
        self.max_frame_size = max_frame_size
        self.reconnect, self.reconnect_delay, self.max_reconnect_delay = reconnect, reconnect_delay, max_reconnect_delay
        self.retry_initial_connect = retry_initial_connect
        self.server_hostname = server_hostname
        if on_span is not None and not callable(on_span):
            raise TypeError("on_span must be callable")
        self.on_span = on_span
        self._ids = itertools.count(1)
        self._reply_ids = itertools.count(1)
        # reply addresses this client chooses: unlikely to equal an address it registers or sends to
        self._reply_prefix = f"_py.reply.{secrets.token_hex(6)}."
        self._acks: Dict[int, asyncio.Future] = {}
        self._requests: Dict[str, asyncio.Future] = {}
        self._handlers: Dict[str, Handler] = {}
        self._registering: Dict[str, asyncio.Future] = {}
        self._writer: Optional[asyncio.StreamWriter] = None
        self._tasks: set = set()
        self._ready = False
        self._closed = False
        self._attempt = 0
        self.connected = asyncio.Event()
        """Set while the connection is ready; cleared when it is lost."""

    async def __aenter__(self) -> "BridgeClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    # ---- API

    async def send(self, address: str, body: Any = None, headers: Optional[Dict[str, str]] = None,
                   parent: Any = None) -> None:
        """Point-to-point message; returns when the bridge accepted it.

        ``parent`` (a Message, or its ``trace``) puts that trace's traceparent and tracestate in the
        headers; a traceparent (or tracestate) in ``headers`` wins.
        """
        await self._acknowledged({"type": "send", "address": address, "body": body, "headers": _headers(headers, parent)})

    async def publish(self, address: str, body: Any = None, headers: Optional[Dict[str, str]] = None,
                      parent: Any = None) -> None:
        """Message to every consumer of ``address``; returns when the bridge accepted it. ``parent`` as for send."""
        await self._acknowledged({"type": "publish", "address": address, "body": body, "headers": _headers(headers, parent)})

    async def request(self, address: str, body: Any = None, timeout: Optional[float] = None,
                      headers: Optional[Dict[str, str]] = None, parent: Any = None) -> Message:
        """Sends a request and returns the answer, or raises BridgeError. ``parent`` as for send."""
        self._require_ready()
        timeout = self.request_timeout if timeout is None else timeout
        reply_address = f"{self._reply_prefix}{next(self._reply_ids)}"
        future = asyncio.get_running_loop().create_future()
        self._requests[reply_address] = future
        all_headers = dict(_headers(headers, parent) or {})
        all_headers["timeout"] = str(max(1, int(timeout * 1000)))
        try:
            self._write({"type": "send", "address": address, "body": body, "headers": all_headers,
                         "replyAddress": reply_address})
            return await asyncio.wait_for(future, timeout + 1.0)
        except asyncio.TimeoutError:
            raise BridgeError("timeout", f"no answer from {address} within {timeout} s", address=address) from None
        finally:
            self._requests.pop(reply_address, None)

    async def register(self, address: str, handler: Handler) -> None:
        """Receives what is sent or published to ``address``.

        The handler (sync or async) gets a Message. When the sender waits for an answer, its return
        value is the reply and a raised BridgeFailure (or other exception: code 500) fails it,
        unless the handler answered with ``message.reply`` or ``message.fail`` itself.
        """
        pending = self._registering.get(address)
        existing = address in self._handlers
        self._handlers[address] = handler
        if pending is not None:  # the same address is being registered: share its outcome
            await asyncio.shield(pending)
            return
        if existing:
            return
        outcome = asyncio.get_running_loop().create_future()
        self._registering[address] = outcome
        try:
            await self._acknowledged({"type": "register", "address": address})
            outcome.set_result(None)
        except BaseException as e:
            self._handlers.pop(address, None)
            outcome.set_exception(e if isinstance(e, Exception) else BridgeError("cancelled", "the register was cancelled", address=address))
            outcome.exception()  # retrieved: nobody else may be waiting for it
            raise
        finally:
            self._registering.pop(address, None)

    async def unregister(self, address: str) -> None:
        """Stops receiving messages for ``address``."""
        if self._handlers.pop(address, None) is None:
            raise BridgeError("unknown_address", f"{address} is not registered", address=address)
        if self._ready:
            await self._acknowledged({"type": "unregister", "address": address})

    async def close(self) -> None:
        """Closes the connection for good; pending calls fail with ``closed``."""
        self._closed = True
        writer = self._writer
        self._teardown(BridgeError("closed", "the client was closed"))
        tasks = [task for task in self._tasks if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if writer is not None:
            writer.close()
            try:
                await asyncio.wait_for(writer.wait_closed(), 2)
            except (asyncio.TimeoutError, OSError, ConnectionError):
                pass

    # ---- connection

    async def _start(self) -> None:
        while True:
            try:
                await self._open()
                return
            except BridgeError as e:
                if not self.retry_initial_connect or e.code == "auth_failed":
                    self._closed = True
                    raise
                await asyncio.sleep(self._backoff())

    async def _open(self) -> None:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port, ssl=self.ssl or None,
                                    server_hostname=self.server_hostname if self.ssl else None),
                self.connect_timeout)
        except (OSError, asyncio.TimeoutError) as e:
            raise BridgeError("connection_lost", f"cannot connect to {self.host}:{self.port}: {e}") from None
        self._writer = writer
        self._spawn(self._read(reader, writer))
        try:
            if self.token is not None:
                await self._acknowledged({"type": "auth", "token": self.token}, handshaking=True)
            for address in list(self._handlers):
                try:
                    await self._acknowledged({"type": "register", "address": address}, handshaking=True)
                except BridgeError as e:
                    if e.code == "connection_lost" or e.code == "not_connected":
                        raise
                    log.error("the bridge refused to register %s again (%s: %s); its handler is dropped",
                              address, e.code, e.message)
                    self._handlers.pop(address, None)
                    continue
                if address not in self._handlers:  # unregistered while we were registering it again
                    await self._acknowledged({"type": "unregister", "address": address}, handshaking=True)
        except BaseException:
            writer.close()
            raise
        self._ready = True
        self._attempt = 0
        self.connected.set()
        self._spawn(self._ping(writer))

    async def _read(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        decoder = FrameDecoder(self.max_frame_size, lambda frame: self._on_frame(frame))
        try:
            while True:
                data = await reader.read(64 * 1024)
                if not data:
                    break
                decoder.push(data)
        except FrameError as e:
            log.warning("bridge sent an unreadable frame: %s", e)
        except (TypeError, ValueError, AttributeError) as e:  # a frame with fields of the wrong types
            log.warning("bridge sent a frame the client cannot handle: %r", e)
        except (OSError, ConnectionError):
            pass
        finally:
            writer.close()
            if self._writer is writer:
                was_ready = self._ready
                self._teardown(BridgeError("connection_lost", "the connection to the bridge was lost"))
                if was_ready and self.reconnect and not self._closed:
                    self._spawn(self._reconnect())

    async def _reconnect(self) -> None:
        while not self._closed:
            await asyncio.sleep(self._backoff())
            try:
                await self._open()
                return
            except BridgeError as e:
                if e.code == "auth_failed":
                    log.error("the bridge refused the token on reconnect; giving up")
                    self._closed = True
                    return

    async def _ping(self, writer: asyncio.StreamWriter) -> None:
        while self._writer is writer and self._ready:
            await asyncio.sleep(self.ping_interval)
            if self._writer is not writer or not self._ready:
                return
            try:
                await asyncio.wait_for(self._acknowledged({"type": "ping"}), self.ping_timeout)
            except asyncio.TimeoutError:
                log.warning("no pong within %s s; dropping the connection", self.ping_timeout)
                writer.transport.abort()
                return
            except BridgeError:
                return

    def _backoff(self) -> float:
        ceiling = min(self.max_reconnect_delay, self.reconnect_delay * 2 ** min(self._attempt, 20))
        self._attempt += 1
        return ceiling / 2 + random.random() * ceiling / 2

    def _teardown(self, error: BridgeError) -> None:
        self._ready = False
        self.connected.clear()
        for future in list(self._acks.values()) + list(self._requests.values()):
            if not future.done():
                future.set_exception(error)
        self._acks.clear()
        self._requests.clear()

    def _spawn(self, coroutine: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- frames

    def _require_ready(self) -> None:
        if self._closed:
            raise BridgeError("closed", "the client was closed")
        if not self._ready:
            raise BridgeError("not_connected", "the bridge connection is not open")

    async def _acknowledged(self, frame: dict, handshaking: bool = False,
                            written: Optional[Callable[[], None]] = None) -> None:
        if not handshaking:
            self._require_ready()
        frame_id = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._acks[frame_id] = future
        try:
            self._write({**frame, "id": frame_id})
            if written is not None:
                written()
            await future
        finally:
            self._acks.pop(frame_id, None)

    def _write(self, frame: dict) -> None:
        writer = self._writer
        if writer is None or writer.is_closing():
            raise BridgeError("not_connected", "the bridge connection is not open")
        writer.write(encode_frame({k: v for k, v in frame.items() if v is not None}))

    def _on_frame(self, frame: dict) -> None:
        kind = frame.get("type")
        if kind in ("ok", "pong"):
            future = self._acks.get(frame.get("id"))
            if future is not None and not future.done():
                future.set_result(None)
        elif kind == "message":
            self._on_message(frame)
        elif kind == "err":
            self._on_err(frame)
        else:
            log.warning("unexpected frame type %r", kind)

    def _on_err(self, frame: dict) -> None:
        error = BridgeError.from_frame(frame)
        future = self._acks.get(frame["id"]) if "id" in frame else None
        if future is None and "address" in frame:
            future = self._requests.get(frame["address"])
        if future is not None and not future.done():
            future.set_exception(error)
        elif future is None:
            log.warning("bridge error: %s %s", error.code, error.message)

    def _on_message(self, frame: dict) -> None:
        future = self._requests.get(frame.get("address"))
        if future is not None:
            if not future.done():
                future.set_result(Message(self, frame))
            return
        handler = self._handlers.get(frame.get("address"))
        message = Message(self, frame)
        if handler is not None:
            self._spawn(self._handle(handler, message))
        elif message.expects_reply and self._ready:
            # registered on the bridge a moment longer than here (unregister or a cancelled register):
            # fail it now rather than leave the sender waiting for replyTimeout
            self._spawn(self._quietly(message.fail(NO_HANDLER_FAILURE, f"no handler for {message.address}")))

    async def _handle(self, handler: Handler, message: Message) -> None:
        # nothing is measured for a program without on_span
        trace = message.trace if self.on_span is not None else None
        if trace is None or not trace.sampled:
            await self._run(handler, message)
            return
        start_micros = time.time_ns() // 1000
        started = time.perf_counter_ns()
        error, finished = await self._run(handler, message)
        # the span ends once the answer is written, not when the bridge acknowledges it
        if message._answer_written is not None:
            finished = max(finished, message._answer_written)
        if error is None and message.failure is not None:
            error = message.failure.message or f"failed with code {message.failure.failure_code}"
        attributes = {"messaging.system": "vertx-eventbus", "messaging.destination.name": message.address,
                      "messaging.operation.name": "send" if message.is_send else "publish"}
        if message.failure is not None:
            attributes["messaging.failure_code"] = str(message.failure.failure_code)
        span = Span(trace.trace_id, trace.span_id, trace.parent_span_id, message.address,
                    "SERVER" if message.expects_reply else "CONSUMER", start_micros, (finished - started) // 1000,
                    attributes, error)
        try:
            recorded = self.on_span(span)
            if inspect.isawaitable(recorded):
                await recorded
        except Exception:  # the hook's trouble is logged; the message was handled
            log.exception("on_span failed for a span of %s", message.address)

    async def _run(self, handler: Handler, message: Message) -> Tuple[Optional[str], int]:
        """Runs the handler and answers for it; returns why it failed (None if it did not) and when it finished."""
        failed = True
        try:
            result = handler(message)
            if inspect.isawaitable(result):
                result = await result
            failed = False
        except BridgeFailure as failure:
            code, text = failure.failure_code, failure.message
        except BridgeError as e:
            # e.g. a request the handler made failed and it let the error through: pass its code on
            log.warning("handler for %s failed: %s %s", message.address, e.code, e.message)
            code = e.failure_code if isinstance(e.failure_code, int) and e.failure_code > 0 else 500
            text = e.message
        except Exception as e:  # a handler's bug fails its message, and is logged
            log.exception("handler for %s failed", message.address)
            code, text = 500, str(e) or type(e).__name__
        finished = time.perf_counter_ns()
        if not failed:
            if not message.expects_reply or message.answered:
                return None, finished
            try:
                await self._quietly(message.reply(result))
                return None, finished
            except (TypeError, ValueError) as e:
                log.error("handler for %s returned a reply that is not JSON: %s", message.address, e)
                code, text = 500, f"the reply is not JSON: {e}"
        if message.expects_reply and not message.answered:
            await self._quietly(message.fail(code, text))
        return text, finished

    @staticmethod
    async def _quietly(answer: Awaitable[None]) -> None:
        try:
            await answer
        except BridgeError as e:
            log.warning("answering failed: %s", e)
