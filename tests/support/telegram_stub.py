"""A small stand-in for the Telegram Bot API, for end-to-end tests of the bot.

A stdlib ThreadingHTTPServer on 127.0.0.1 (random port) that speaks the subset of the
Bot API the bot uses: it hands queued updates out through long-polled getUpdates,
records every call with its parameters, and refuses what Telegram refuses (malformed
HTML, texts over 4,096 characters, over-long callback data, unchanged edits) with the
same HTTP 400 answers. It can also be told to fail: 401 for a wrong token, a 429 with
retry_after, a 502, or a slow answer for one method.

Faults at the connection level, for the reliability tests (tests/e2e/test_reliability.py):

- outage(seconds): Telegram unreachable. The listening socket is closed (connects are
  refused, as the bot sees a real outage), idle keep-alive connections are shut, and the
  same port opens again after `seconds`. after_updates=True arms it instead: it starts
  right after the next getUpdates that hands out updates, so the replies meet it.
- drop_after_processing(method): the call is processed (a message is delivered) and the
  connection closed without an answer; drop_before_processing: closed unprocessed.
  Both look the same to the bot, which cannot tell them apart.
- slow(method, seconds): processed at once, answered only after `seconds` (past PTB's
  5-s read timeout, the bot gives up waiting although the message was delivered).

delivered(chat_id) / delivered_counts() count what reached each chat, for "exactly once".

Also here: ForwardProxy, a minimal HTTP forward proxy, to prove TELEGRAM_PROXY is used.
"""
from __future__ import annotations

import http.client
import json
import random
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

BOT_ID = 777000111
BOT_USERNAME = "zhizetong_test_bot"
# Methods whose 200 means a message reached its chat (what "delivered" counts).
SENDING = ("sendMessage",)
DROPPED = 444  # status recorded for a call whose connection was closed before it was processed
MAX_TEXT = 4096
MAX_CALLBACK_BYTES = 64
LONG_POLL_CAP = 1.0  # seconds; keeps the bot's shutdown and the tests quick

# Telegram's HTML subset (https://core.telegram.org/bots/api#html-style).
ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
    "tg-spoiler", "span", "blockquote", "tg-emoji",
}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)\s*>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


class HtmlError(ValueError):
    pass


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_telegram_html(text: str) -> str:
    """The visible text of a Telegram HTML message; HtmlError where Telegram would refuse it."""
    visible: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "<":
            m = _TAG.match(text, i)
            if not m:
                raise HtmlError(f"Can't parse entities: unexpected '<' at byte offset {i}")
            closing, name, attrs = m.group(1) == "/", m.group(2).lower(), m.group(3).strip()
            if name not in ALLOWED_TAGS:
                raise HtmlError(f"Can't parse entities: unsupported start tag \"{name}\" at byte offset {i}")
            if closing:
                if not stack or stack[-1] != name:
                    raise HtmlError(f"Can't parse entities: can't find end tag corresponding to start tag \"{name}\"")
                stack.pop()
            else:
                if name == "span" and not re.fullmatch(r'class\s*=\s*"tg-spoiler"', attrs):
                    raise HtmlError("Can't parse entities: span must have class tg-spoiler")
                stack.append(name)
            i = m.end()
        elif ch == "&":
            m = _ENTITY.match(text, i)
            if not m:
                raise HtmlError(f"Can't parse entities: unsupported entity at byte offset {i}")
            visible.append("x")
            i = m.end()
        elif ch == ">":
            raise HtmlError(f"Can't parse entities: unexpected '>' at byte offset {i}")
        else:
            visible.append(ch)
            i += 1
    if stack:
        raise HtmlError(f"Can't parse entities: can't find end tag corresponding to start tag \"{stack[-1]}\"")
    return "".join(visible)


@dataclass
class Call:
    seq: int
    method: str
    params: dict[str, Any]
    token: str
    status: int = 0  # HTTP status the stub answered with (0 while still being answered)
    error: str = ""
    received: float = field(default_factory=time.monotonic)
    fault: str = ""  # "", "drop-before", "drop-after", "slow", "outage": what was done to this call
    responded: bool = True  # False: the connection was closed without an answer
    done: float = 0.0  # when it was processed (monotonic)

    @property
    def delivered(self) -> bool:
        """A message reached the chat (whether or not the bot got to hear so)."""
        return self.method in SENDING and self.status == 200

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def chat_id(self) -> int | None:
        raw = self.params.get("chat_id")
        return int(raw) if raw is not None else None

    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data) of every inline button, row by row."""
        markup = self.params.get("reply_markup") or {}
        return [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", []) for b in row]


@dataclass
class Fault:
    method: str
    status: int
    retry_after: int = 0
    times: int = 1
    kind: str = "status"  # "status" (answer with `status`), "drop-before", "drop-after", "slow"
    seconds: float = 0.0  # "slow": how long the answer is held back
    probability: float = 1.0  # each call meets the fault with this chance (the stub's seeded random)


@dataclass
class _Outcome:
    status: int
    payload: dict
    drop: bool = False  # close the connection instead of answering
    hold: float = 0.0  # seconds to wait before answering


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 resets connections when the bot opens twenty at
    # once (a burst of replies): a fault of the stand-in, not one the tests mean to inject.
    request_queue_size = 256


class TelegramStub:
    """The server plus the test-facing API: queue updates, read calls, inject faults."""

    def __init__(self, token: str = "123456:TEST-token-abcdefghijklmnopqrstuvwx", seed: int = 13) -> None:
        self.token = token
        self.random = random.Random(seed)  # decides faults given with a probability
        self.calls: list[Call] = []
        self.cond = threading.Condition()
        self._updates: list[dict] = []
        self._next_update_id = 1
        self._next_message_id = 1
        self._sent: dict[tuple[int, int], dict] = {}  # (chat_id, message_id) -> message
        self._chats: dict[int, dict] = {}
        self._faults: list[Fault] = []
        self._delays: dict[str, float] = {}
        self.commands: list[dict] = []
        self.pushed_at: dict[int, float] = {}  # update_id -> when it was queued (monotonic)
        self.outages: list[tuple[float, float]] = []  # (down, up) of finished outages (monotonic)
        self._down_since: float | None = None
        self._armed_outage: float | None = None
        self._stopped = False
        self._up_timer: threading.Timer | None = None
        self._connections: set = set()  # live handlers (one per connection)
        self._handler = self._handler_class()
        self._server = self._listen(0)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = self._serving_thread(self._server)

    # -- life cycle -----------------------------------------------------------
    def _listen(self, port: int) -> ThreadingHTTPServer:
        return _Server(("127.0.0.1", port), self._handler)

    @staticmethod
    def _serving_thread(server: ThreadingHTTPServer) -> threading.Thread:
        return threading.Thread(target=server.serve_forever, args=(0.05,), name="telegram-stub", daemon=True)

    def start(self) -> TelegramStub:
        self._thread.start()
        return self

    def stop(self) -> None:
        with self.cond:
            self._stopped = True
            timer, self._up_timer = self._up_timer, None
            down = self._down_since is not None
        if timer is not None:
            timer.cancel()
        if not down:
            self._server.shutdown()
        self._server.server_close()

    # -- faults -------------------------------------------------------------
    def fail_next(self, method: str, status: int, retry_after: int = 0, times: int = 1,
                  probability: float = 1.0) -> None:
        """The next `times` calls of `method` are answered with `status` (429: with retry_after)."""
        with self.cond:
            self._faults.append(Fault(method, status, retry_after, times, probability=probability))

    def delay(self, method: str, seconds: float) -> None:
        """Hold every call of `method` for `seconds` before processing it (0 to stop)."""
        with self.cond:
            self._delays[method] = seconds

    def drop_after_processing(self, method: str, times: int = 1, probability: float = 1.0) -> None:
        """The next `times` calls are processed, then their connection is closed unanswered.

        probability < 1: each call is dropped with that chance, until `times` have been.
        """
        with self.cond:
            self._faults.append(Fault(method, 200, times=times, kind="drop-after", probability=probability))

    def drop_before_processing(self, method: str, times: int = 1, probability: float = 1.0) -> None:
        """The next `times` calls are read, then their connection is closed without processing them."""
        with self.cond:
            self._faults.append(Fault(method, DROPPED, times=times, kind="drop-before", probability=probability))

    def slow(self, method: str, seconds: float, times: int = 1, probability: float = 1.0) -> None:
        """The next `times` calls are processed at once and answered after `seconds`."""
        with self.cond:
            self._faults.append(Fault(method, 200, times=times, kind="slow", seconds=seconds,
                                      probability=probability))

    def clear_faults(self) -> None:
        with self.cond:
            self._faults.clear()
            self._delays.clear()
            self._armed_outage = None

    # -- outages ------------------------------------------------------------------
    @property
    def down(self) -> bool:
        return self._down_since is not None

    def outage(self, seconds: float, after_updates: bool = False) -> None:
        """Refuse connections for `seconds` (returns at once; see wait_up).

        after_updates: start it right after the next getUpdates that hands out updates
        instead of now, so the bot meets it with replies to send.
        """
        if after_updates:
            with self.cond:
                self._armed_outage = seconds
            return
        self._go_down(seconds)

    def wait_up(self, timeout: float = 120.0) -> None:
        """Wait until an outage (armed or running) is over."""
        self.wait_for(lambda: self._down_since is None and self._armed_outage is None, timeout,
                      "the stand-in to be reachable again")

    def _go_down(self, seconds: float) -> None:
        with self.cond:
            if self._down_since is not None or self._stopped:
                return
            self._down_since = time.monotonic()
            self._up_timer = threading.Timer(seconds, self._come_up)
            self._up_timer.daemon = True
            idle = [h for h in self._connections if not h.busy]
            self.cond.notify_all()  # long polls answer now (and close their connection)
        # No more accepting: connects are refused (the port stays ours: SO_REUSEADDR).
        self._server.shutdown()
        self._server.socket.close()
        for handler in idle:  # the bot must not find a kept-alive connection that still works
            handler.hang_up()
        self._up_timer.start()

    def _come_up(self) -> None:
        with self.cond:
            if self._stopped or self._down_since is None:
                return
            server = self._listen(self.port)
            self._server, self._thread = server, self._serving_thread(server)
            self._thread.start()
            self.outages.append((self._down_since, time.monotonic()))
            self._down_since = None
            self._up_timer = None
            self.cond.notify_all()

    # -- counting ---------------------------------------------------------------------
    def delivered(self, chat_id: int | None = None, mark: int = 0) -> list[Call]:
        """Messages that reached a chat (processed sendMessage calls), in order."""
        with self.cond:
            return [c for c in self.calls[mark:] if c.delivered and (chat_id is None or c.chat_id == chat_id)]

    def delivered_counts(self, mark: int = 0) -> Counter:
        """chat_id -> number of messages that reached it."""
        return Counter(c.chat_id for c in self.delivered(mark=mark))

    # -- building updates ---------------------------------------------------------
    def user(self, user_id: int) -> dict:
        return {"id": user_id, "is_bot": False, "first_name": f"用户{user_id}", "language_code": "zh-hans"}

    def chat(self, chat_id: int, kind: str = "private") -> dict:
        chat = {"id": chat_id, "type": kind}
        if kind == "private":
            chat["first_name"] = f"用户{chat_id}"
        else:
            chat["title"] = "卧牛河镇工作群"
        self._chats[chat_id] = chat
        return chat

    def _message(self, user_id: int, chat_id: int | None, chat_type: str, **content) -> dict:
        with self.cond:
            message_id = self._next_message_id
            self._next_message_id += 1
        return {"message_id": message_id, "date": int(time.time()), "from": self.user(user_id),
                "chat": self.chat(chat_id if chat_id is not None else user_id, chat_type), **content}

    @property
    def last_update_id(self) -> int:
        return self._next_update_id - 1

    def confirmed(self, update_id: int) -> bool:
        """The bot has fetched this update (a later getUpdates confirmed it with its offset)."""
        return any(c.method == "getUpdates" and int(c.params.get("offset") or 0) > update_id for c in self.calls)

    def push(self, kind: str, payload: dict) -> int:
        with self.cond:
            update_id = self._next_update_id
            self._next_update_id += 1
            self._updates.append({"update_id": update_id, kind: payload})
            self.pushed_at[update_id] = time.monotonic()
            self.cond.notify_all()
        return update_id

    def send_text(self, user_id: int, text: str, chat_id: int | None = None, chat_type: str = "private",
                  reply_to: dict | None = None, mention: bool = False) -> dict:
        """A user's text message; commands and @mentions get the entities Telegram adds."""
        if mention:
            text = f"@{BOT_USERNAME} {text}"
        entities = []
        if text.startswith("/"):
            command = text.split()[0]
            entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(command)})
        for m in re.finditer(r"@[A-Za-z0-9_]{5,}", text):
            entities.append({"type": "mention", "offset": utf16_len(text[:m.start()]),
                             "length": utf16_len(m.group())})
        content: dict[str, Any] = {"text": text}
        if entities:
            content["entities"] = entities
        if reply_to is not None:
            content["reply_to_message"] = reply_to
        message = self._message(user_id, chat_id, chat_type, **content)
        self.push("message", message)
        return message

    def send_other(self, user_id: int, content: dict, chat_id: int | None = None, chat_type: str = "private") -> dict:
        message = self._message(user_id, chat_id, chat_type, **content)
        self.push("message", message)
        return message

    def edit_text(self, original: dict, new_text: str) -> dict:
        edited = {**original, "text": new_text, "edit_date": int(time.time())}
        edited.pop("entities", None)
        self.push("edited_message", edited)
        return edited

    def tap(self, user_id: int, call: Call, data: str) -> int:
        """The user taps a button with `data` on the message a recorded call sent or edited."""
        message = self.message_of(call)
        assert data in [d for _, d in call.buttons()], f"no button {data!r} on that message"
        with self.cond:
            query_id = f"cq{self._next_update_id}"
        return self.push("callback_query", {"id": query_id, "from": self.user(user_id), "chat_instance": "ci",
                                            "data": data, "message": message})

    def message_of(self, call: Call) -> dict:
        if call.method == "editMessageText":
            key = (int(call.params["chat_id"]), int(call.params["message_id"]))
        else:
            key = (int(call.params["chat_id"]), int(call.params["_message_id"]))
        return self._sent[key]

    # -- reading calls -------------------------------------------------------
    def mark(self) -> int:
        with self.cond:
            return len(self.calls)

    def calls_since(self, mark: int = 0, method: str | None = None, chat_id: int | None = None) -> list[Call]:
        with self.cond:
            calls = list(self.calls[mark:])
        return [c for c in calls if (method is None or c.method == method)
                and (chat_id is None or c.chat_id == chat_id) and c.status != 0]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                value = predicate()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
                self.cond.wait(min(left, 0.05))

    def wait_messages(self, chat_id: int, count: int = 1, mark: int = 0, timeout: float = 10.0,
                      methods: tuple[str, ...] = ("sendMessage",)) -> list[Call]:
        def got():
            found = [c for c in self.calls[mark:] if c.method in methods and c.chat_id == chat_id and c.status == 200]
            return found if len(found) >= count else None
        return self.wait_for(got, timeout, f"{count} {'/'.join(methods)} to chat {chat_id}")

    def errors(self) -> list[Call]:
        with self.cond:
            return [c for c in self.calls if c.status >= 400]

    # -- serving ------------------------------------------------------------------
    def _handler_class(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            busy = False  # between reading a request and answering it

            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def setup(self) -> None:
                super().setup()
                with stub.cond:
                    stub._connections.add(self)

            def finish(self) -> None:
                with stub.cond:
                    stub._connections.discard(self)
                try:
                    super().finish()
                except OSError:
                    pass

            def parse_request(self) -> bool:
                self.busy = True
                return super().parse_request()

            def handle_one_request(self) -> None:
                try:
                    super().handle_one_request()
                except OSError:  # hung up on (an outage), or the bot went away
                    self.close_connection = True
                finally:
                    self.busy = False

            def hang_up(self) -> None:
                """Close the connection now, whatever it is doing (the bot sees it closed)."""
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                m = re.fullmatch(r"/bot([^/]+)/(\w+)", urlsplit(self.path).path)
                if not m:
                    return self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                token, method = m.group(1), m.group(2)
                params = _parse_params(self.headers.get("Content-Type", ""), body, urlsplit(self.path).query)
                outcome = stub._dispatch(token, method, params)
                if outcome.drop:
                    return self.hang_up()
                if outcome.hold:
                    time.sleep(outcome.hold)
                if method == "getUpdates" and outcome.payload.get("result"):
                    stub._updates_handed_out()  # an armed outage begins before the bot has them
                self._reply(outcome.status, outcome.payload)
                if stub.down:
                    self.close_connection = True

            def _reply(self, status: int, payload: dict) -> None:
                data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    if stub.down:  # answered just as the outage began: the last on this connection
                        self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the bot hung up (a long poll cancelled at shutdown): nothing to answer

        return Handler

    def _updates_handed_out(self) -> None:
        with self.cond:
            seconds, self._armed_outage = self._armed_outage, None
        if seconds is not None:
            self._go_down(seconds)

    def _dispatch(self, token: str, method: str, params: dict) -> _Outcome:
        with self.cond:
            call = Call(len(self.calls) + 1, method, params, token)
            self.calls.append(call)
            self.cond.notify_all()
        if self.down:  # came in on a connection the outage had not closed yet: lost unprocessed
            return self._finish(call, _Outcome(DROPPED, {}, drop=True), "outage")
        delay = self._delays.get(method, 0.0)
        if delay:
            time.sleep(delay)
        fault = self._fault_for(method, kinds=("drop-before", "drop-after", "slow")) if token == self.token else None
        if fault is not None and fault.kind == "drop-before":
            return self._finish(call, _Outcome(DROPPED, {}, drop=True), fault.kind)
        try:
            status, payload = self._answer(token, method, params)
        except Exception as exc:  # a stub bug must show up as a failed call, not a hang
            status, payload = 500, {"ok": False, "error_code": 500, "description": f"stub error: {exc!r}"}
        outcome = _Outcome(status, payload)
        if fault is not None and fault.kind == "drop-after":
            outcome.drop = True
        elif fault is not None and fault.kind == "slow":
            outcome.hold = fault.seconds
        return self._finish(call, outcome, fault.kind if fault else "")

    def _finish(self, call: Call, outcome: _Outcome, fault: str) -> _Outcome:
        with self.cond:
            call.status = outcome.status
            call.fault = fault
            call.responded = not outcome.drop
            call.done = time.monotonic()
            if outcome.status >= 400:
                call.error = outcome.payload.get("description", "") or f"connection closed ({fault})"
            self.cond.notify_all()
        return outcome

    def _fault_for(self, method: str, kinds: tuple[str, ...] = ("status",)) -> Fault | None:
        with self.cond:
            for fault in self._faults:
                if fault.method == method and fault.kind in kinds:
                    if fault.probability < 1.0 and self.random.random() >= fault.probability:
                        continue
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _answer(self, token: str, method: str, params: dict) -> tuple[int, dict]:
        if token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        fault = self._fault_for(method)
        if fault:
            if fault.status == 429:
                return 429, {"ok": False, "error_code": 429,
                             "description": f"Too Many Requests: retry after {fault.retry_after}",
                             "parameters": {"retry_after": fault.retry_after}}
            try:
                phrase = HTTPStatus(fault.status).phrase
            except ValueError:
                phrase = "Error"
            return fault.status, {"ok": False, "error_code": fault.status, "description": phrase}
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
        try:
            return 200, {"ok": True, "result": handler(params)}
        except BadRequest as exc:
            return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"}

    # -- Bot API methods --------------------------------------------------------
    def _api_getMe(self, params: dict) -> dict:
        return {"id": BOT_ID, "is_bot": True, "first_name": "职责通", "username": BOT_USERNAME,
                "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}

    def _api_deleteWebhook(self, params: dict) -> bool:
        return True

    def _api_setMyCommands(self, params: dict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or not commands:
            raise BadRequest("commands must be a non-empty list")
        for c in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", c.get("command", "")) or not 1 <= len(c.get("description", "")) <= 256:
                raise BadRequest("BOT_COMMAND_INVALID")
        self.commands = commands
        return True

    def _api_getMyCommands(self, params: dict) -> list:
        return self.commands

    def _api_getUpdates(self, params: dict) -> list:
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), LONG_POLL_CAP)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + wait
        with self.cond:
            # An offset confirms every earlier update, as in Telegram.
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and time.monotonic() < deadline and not self.down:
                self.cond.wait(deadline - time.monotonic())
            return list(self._updates[:limit])

    def _check_text(self, params: dict) -> str:
        text = params.get("text")
        if not text:
            raise BadRequest("message text is empty")
        if params.get("parse_mode", "").upper() == "HTML":
            try:
                visible = parse_telegram_html(text)
            except HtmlError as exc:
                raise BadRequest(str(exc)) from None
        else:
            visible = text
        if utf16_len(visible) > MAX_TEXT:
            raise BadRequest("message is too long")
        markup = params.get("reply_markup")
        if markup:
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    if not button.get("text"):
                        raise BadRequest("button text is empty")
                    data = button.get("callback_data")
                    if data is not None and not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_BYTES:
                        raise BadRequest("BUTTON_DATA_INVALID")
        return text

    def _api_sendMessage(self, params: dict) -> dict:
        text = self._check_text(params)
        chat_id = int(params["chat_id"])
        with self.cond:
            message_id = self._next_message_id
            self._next_message_id += 1
        message = {"message_id": message_id, "date": int(time.time()), "text": text,
                   "from": {"id": BOT_ID, "is_bot": True, "first_name": "职责通", "username": BOT_USERNAME},
                   "chat": self._chats.get(chat_id, {"id": chat_id, "type": "private", "first_name": "x"})}
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        params["_message_id"] = message_id  # lets tests tap this message's buttons
        self._sent[(chat_id, message_id)] = message
        return message

    def _api_editMessageText(self, params: dict) -> dict:
        text = self._check_text(params)
        key = (int(params["chat_id"]), int(params["message_id"]))
        old = self._sent.get(key)
        if old is None:
            raise BadRequest("message to edit not found")
        if old["text"] == text and old.get("reply_markup") == params.get("reply_markup"):
            raise BadRequest("message is not modified: specified new message content and reply markup are "
                             "exactly the same as a current content and reply markup of the message")
        new = {**old, "text": text, "edit_date": int(time.time())}
        new.pop("reply_markup", None)
        if params.get("reply_markup"):
            new["reply_markup"] = params["reply_markup"]
        self._sent[key] = new
        return new

    def _api_answerCallbackQuery(self, params: dict) -> bool:
        if len(params.get("text", "")) > 200:
            raise BadRequest("MESSAGE_TOO_LONG")
        return True

    def _api_sendChatAction(self, params: dict) -> bool:
        return True

    def _api_close(self, params: dict) -> bool:
        return True

    def _api_logOut(self, params: dict) -> bool:
        return True


class BadRequest(Exception):
    pass


def _parse_params(content_type: str, body: bytes, query: str) -> dict[str, Any]:
    """Form, multipart or JSON bodies (PTB sends forms); JSON-looking values are decoded."""
    raw: dict[str, str] = {k: v[-1] for k, v in parse_qs(query).items()}
    if content_type.startswith("application/json") and body:
        return {**raw, **json.loads(body)}
    if content_type.startswith("application/x-www-form-urlencoded"):
        raw.update({k: v[-1] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()})
    elif content_type.startswith("multipart/form-data"):
        msg = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            raw[name] = part.get_content() if part.get_content_maintype() == "text" else part.get_payload(decode=True)
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str) and value[:1] in "[{":
            try:
                value = json.loads(value)
            except ValueError:
                pass
        params[key] = value
    return params


class ForwardProxy:
    """A plain-HTTP forward proxy on 127.0.0.1 that records the URLs it forwarded."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                self._forward()

            def do_GET(self) -> None:
                self._forward()

            def _forward(self) -> None:
                target = urlsplit(self.path)  # absolute-form: http://host:port/path
                proxy.urls.append(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "connection")}
                path = target.path + (f"?{target.query}" if target.query else "")
                conn.request(self.command, path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                conn.close()
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="forward-proxy", daemon=True)

    def start(self) -> ForwardProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
