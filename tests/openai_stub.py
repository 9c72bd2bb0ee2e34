"""A tiny OpenAI-compatible chat server on loopback, returning scripted replies.

``server.script`` is a function of the request body returning a ``Reply``. It answers
``POST /v1/chat/completions`` both plainly and as server-sent events (``"stream": true``).
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


@dataclass
class Reply:
    text: str = ""
    kind: str = "ok"  # ok | malformed | error | slow
    delay: float = 0.0  # seconds before answering (slow)
    pieces: int = 4  # stream: how many chunks the text is cut into


@dataclass
class StubServer:
    script: Callable[[dict], Reply] = lambda body: Reply("")
    requests: list[dict] = field(default_factory=list)
    httpd: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> "StubServer":
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                stub.requests.append(body)
                reply = stub.script(body)
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    if reply.kind == "error":
                        self._send(500, "application/json", b'{"error": {"message": "internal error"}}')
                    elif reply.kind == "malformed":
                        if body.get("stream"):
                            self._send(200, "text/event-stream", b"data: {not json at all\n\n")
                        else:
                            self._send(200, "application/json", b"<html>502 Bad Gateway</html>")
                    elif body.get("stream"):
                        self._stream(reply)
                    else:
                        self._send(200, "application/json", json.dumps(_completion(reply.text)).encode())
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _send(self, status: int, ctype: str, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, reply: Reply) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                text, n = reply.text, max(1, reply.pieces)
                step = max(1, -(-len(text) // n))
                for i in range(0, len(text), step):
                    self.wfile.write(b"data: " + json.dumps(_chunk(text[i:i + step])).encode() + b"\n\n")
                    self.wfile.flush()
                self.wfile.write(b"data: " + json.dumps(_chunk("", "stop")).encode() + b"\n\n")
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()


def _completion(text: str) -> dict:
    return {"id": "chatcmpl-stub", "object": "chat.completion", "created": 0, "model": "stub",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}


def _chunk(piece: str, finish: str | None = None) -> dict:
    return {"id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": 0, "model": "stub",
            "choices": [{"index": 0, "delta": {"content": piece} if piece else {}, "finish_reason": finish}]}
