"""TLS: the client against a local TLS server speaking the bridge protocol (the harness bridge is plain TCP).

Needs the openssl command to make a throwaway certificate; fails (does not skip) without it."""

import asyncio
import shutil
import ssl
import subprocess
import tempfile
import unittest
from pathlib import Path

from switchboard_bridge import BridgeError, FrameDecoder, connect, encode_frame

TOKEN = "tls-test-token-0123456789"


def make_certificate(directory: Path):
    if shutil.which("openssl") is None:
        raise RuntimeError("the openssl command is needed for the TLS test (Debian package: openssl)")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


class MiniBridge:
    """Answers auth, register, ping and echoes requests: enough to see frames cross TLS both ways."""

    def __init__(self):
        self.writers = []

    async def serve(self, reader, writer):
        self.writers.append(writer)
        authenticated = False

        def on_frame(frame):
            nonlocal authenticated
            kind = frame.get("type")
            if kind == "auth":
                if frame.get("token") != TOKEN:
                    writer.write(encode_frame({"type": "err", "message": "auth_failed", "id": frame.get("id")}))
                    writer.close()
                    return
                authenticated = True
                writer.write(encode_frame({"type": "ok", "id": frame["id"]}))
            elif not authenticated:
                writer.write(encode_frame({"type": "err", "message": "auth_required"}))
            elif kind == "ping":
                writer.write(encode_frame({"type": "pong", "id": frame.get("id")}))
            elif kind == "register":
                writer.write(encode_frame({"type": "ok", "id": frame["id"]}))
                writer.write(encode_frame({"type": "message", "address": frame["address"], "body": "welcome",
                                           "headers": {}, "send": True, "replyAddress": "__bridge.reply.1"}))
            elif kind == "send" and frame.get("replyAddress"):
                writer.write(encode_frame({"type": "message", "address": frame["replyAddress"], "body": frame.get("body"),
                                           "headers": {"tls": "yes"}, "send": True}))
            elif kind == "send":
                self.answers.put_nowait(frame)
                writer.write(encode_frame({"type": "ok", "id": frame["id"]}))

        decoder = FrameDecoder(1024 * 1024, on_frame)
        try:
            while data := await reader.read(65536):
                decoder.push(data)
        except (OSError, ConnectionError):
            pass
        finally:
            writer.close()


class TlsTest(unittest.IsolatedAsyncioTestCase):

    async def asyncSetUp(self):
        self.directory = tempfile.TemporaryDirectory()
        cert, key = await asyncio.to_thread(make_certificate, Path(self.directory.name))
        server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_context.load_cert_chain(cert, key)
        self.client_context = ssl.create_default_context(cafile=str(cert))
        self.bridge = MiniBridge()
        self.bridge.answers = asyncio.Queue()
        self.server = await asyncio.start_server(self.bridge.serve, "127.0.0.1", 0, ssl=server_context)
        self.port = self.server.sockets[0].getsockname()[1]

    async def asyncTearDown(self):
        for writer in self.bridge.writers:
            writer.transport.abort()
        self.server.close()
        self.directory.cleanup()

    async def test_frames_cross_tls_both_ways(self):
        async with await connect("127.0.0.1", self.port, token=TOKEN, ssl=self.client_context) as bus:
            reply = await bus.request("echo", {"secure": True}, timeout=5)
            self.assertEqual({"secure": True}, reply.body)
            self.assertEqual("yes", reply.headers["tls"])
            await bus.register("client.tls", lambda m: f"answered {m.body}")
            answer = await asyncio.wait_for(self.bridge.answers.get(), 5)
            self.assertEqual("__bridge.reply.1", answer["address"])
            self.assertEqual("answered welcome", answer["body"])

    async def test_host_name_is_checked_against_the_certificate(self):
        async with await connect("127.0.0.1", self.port, token=TOKEN, ssl=self.client_context,
                                 server_hostname="localhost") as bus:
            self.assertEqual("x", (await bus.request("echo", "x", timeout=5)).body)
        with self.assertRaises(BridgeError) as wrong:
            await connect("127.0.0.1", self.port, token=TOKEN, ssl=self.client_context,
                          server_hostname="elsewhere.example")
        self.assertEqual("connection_lost", wrong.exception.code)
        self.assertIn("certificate", str(wrong.exception).lower())

    async def test_an_untrusted_certificate_is_refused(self):
        with self.assertRaises(BridgeError) as refused:
            await connect("127.0.0.1", self.port, token=TOKEN, ssl=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT),
                          connect_timeout=5)  # verifies certificates, trusts no CA
        self.assertEqual("connection_lost", refused.exception.code)
        self.assertIn("certificate", str(refused.exception).lower())


if __name__ == "__main__":
    unittest.main()
