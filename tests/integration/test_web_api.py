"""The web channel over HTTP: the real aiohttp app (make_app) on a real engine and index.

aiohttp's TestServer/TestClient run inside asyncio.run (no pytest-aiohttp); the engine is
the session's searcher. What is checked: /api/ask is exactly `scripts/ask.py --json`, the
key and admin key with their cookies, escaping, security headers, the rate limit, input
limits, concurrency, feedback in the question log, the index watcher, and `python -m bot
web` refusing a public address without a key and stopping on SIGTERM.
"""
from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.web.access import (
    ACCESS_COOKIE,
    ADMIN_COOKIE,
    UID_COOKIE,
    listen_refusal,
)
from bot.channels.web.app import make_app
from bot.engine import ContactBook, Engine
from bot.feedback.question_log import QuestionLog
from bot.feedback.usage import UsageLog
from bot.retrieval.live import SearcherHolder

ROOT = Path(__file__).resolve().parents[2]
KEY = "town-key-7f3a9c"
ADMIN_KEY = "admin-key-51e0d2"
LIST_Q = "低保谁审批"
RIVER = "村里有人在河堤上盖棚子，归谁管？"  # a list answer with other items offered
REFERRAL_Q = "停电了咋整"
EMERGENCY_Q = "着火了山上冒烟"
SEVERAL_Q = "停电了 还有自来水也不来"
QUESTIONS = {"list": LIST_Q, "referral": REFERRAL_Q, "emergency": EMERGENCY_Q, "several": SEVERAL_Q, "empty": "",
             "blank": "   "}
NEED_KEY = "微信工作群"  # in the Chinese note of a 401


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def web_settings(index_settings, tmp_path):
    return dataclasses.replace(index_settings, web_access_key=KEY, web_admin_key=ADMIN_KEY,
                               question_log_path=tmp_path / "questions.sqlite3", log_salt="",
                               index_watch_seconds=0.0, rate_limit_per_minute=20, max_question_chars=200)


@pytest.fixture
def engine(searcher, index_settings):
    return Engine(SearcherHolder(index_settings, searcher), ContactBook(index_settings.contacts_file),
                  index_settings.top_k)


def serve(settings, engine, body, **overrides):
    """Run `body(client)` against a fresh app; the app (and its log writer) is closed afterwards."""
    settings = dataclasses.replace(settings, **overrides)

    async def main():
        usage = UsageLog(QuestionLog(settings.question_log_path, settings.log_salt), channel="web")
        app = make_app(settings, engine, usage)
        async with TestClient(TestServer(app)) as client:
            return await body(client)
    return asyncio.run(main())


def new_visitor(client: TestClient) -> TestClient:
    """From now on the client is someone else: no key cookie, no uid."""
    client.session.cookie_jar.clear()
    return client


async def enter(client: TestClient, key: str = KEY) -> None:
    """Open the shared link once: the key becomes a cookie."""
    response = await client.get("/", params={"key": key})
    assert response.status == 200, await response.text()


def token_of(page: str) -> str:
    found = re.findall(r'name="token" value="([0-9a-f]{12})"', page)
    assert found, "the answer has no 👍/👎 forms"
    return found[0]


def cookies(response) -> dict:
    return {name: morsel for name, morsel in response.cookies.items()}


def no_data(body: str) -> None:
    """A refusal shows no question, answer or item."""
    for leak in (LIST_Q, "低保", "basic-052", "归谁管：", "镇里负责", "民生服务"):
        assert leak not in body, f"{leak!r} leaked into a refused response"


def rows(settings) -> list:
    qlog = QuestionLog(settings.question_log_path, settings.log_salt)
    try:
        return list(reversed(qlog._rows("1 = 1", ())))  # oldest first
    finally:
        qlog.close()


# --------------------------------------------------------------------------- the API contract


def test_api_ask_is_exactly_the_engine_json(web_settings, engine):
    async def body(client):
        await enter(client)
        for name, q in QUESTIONS.items():
            for top in (None, 3):
                params = {"q": q} if top is None else {"q": q, "top": str(top)}
                response = await client.get("/api/ask", params=params)
                assert response.status == 200, (name, await response.text())
                assert response.content_type == "application/json"
                got = await response.json()
                assert got == engine.ask(q, top).to_json(), name
        # The fixtures really are what their names say.
        assert (await (await client.get("/api/ask", params={"q": REFERRAL_Q})).json())["kind"] == "referral"
        assert (await (await client.get("/api/ask", params={"q": EMERGENCY_Q})).json())["emergency"]["numbers"]
        assert (await (await client.get("/api/ask", params={"q": LIST_Q})).json())["answered"] is True
        assert len((await (await client.get("/api/ask", params={"q": SEVERAL_Q})).json())["more_matters"]) == 1
        assert (await (await client.get("/api/ask")).json())["kind"] == "none"  # no q at all: an empty question
    serve(web_settings, engine, body)


def test_the_pages_phone_numbers_dial(web_settings, engine):
    """A review found 119 could not be tapped in a fire (the page turns off the phone's own number
    detection, which would also link years and sums); Telegram takes no tel: links."""
    from bot.answers.render import format_answer

    async def body(client):
        await enter(client)
        fire = await (await client.get("/", params={"q": EMERGENCY_Q})).text()
        numbers = engine.ask(EMERGENCY_Q).emergency.numbers
        assert numbers and all(f'<a href="tel:{n}">{n}</a>' in fire for n in numbers), fire
        pesticide = await (await client.get("/", params={"q": "快来人 邻居喝农药了"})).text()
        assert '<a href="tel:12356">12356</a>' in pesticide, "the advice's own numbers dial too"
        referral = await (await client.get("/", params={"q": REFERRAL_Q})).text()
        assert all(f'href="tel:{n}"' in referral for n in engine.ask(REFERRAL_Q).referral.numbers)
    serve(web_settings, engine, body)
    assert "tel:" not in format_answer(engine.ask(EMERGENCY_Q)), "the Telegram reply has none"

def test_api_ask_matches_scripts_ask_json(web_settings, engine, index_settings, run_script):
    done = run_script("ask.py", "--json", "--top", "3", RIVER, settings=index_settings)
    assert done.returncode == 0, done.stderr
    expected = json.loads(done.stdout)

    async def body(client):
        response = await client.get("/api/ask", params={"q": RIVER, "top": "3", "key": KEY})
        assert response.status == 200
        assert await response.json() == expected
        assert re.fullmatch(r"[0-9a-f]{12}", response.headers["X-Answer-Token"])  # for /api/feedback
    serve(web_settings, engine, body)


# --------------------------------------------------------------------------- access


def test_without_the_key_everything_is_401_with_a_note_and_no_data(web_settings, engine):
    gets = ["/", f"/?q={LIST_Q}", "/lists", "/lists/basic", "/lists/basic/0", "/item/basic-052",
            "/item/basic-052/full", f"/api/ask?q={LIST_Q}", "/no-such-page", f"/?key=wrong&q={LIST_Q}",
            f"/?key={KEY[:-1]}", f"/?key={ADMIN_KEY}"]

    async def body(client):
        for path in gets:
            response = await client.get(path)
            text = await response.text()
            assert response.status == 401, path
            no_data(text)
            if path.startswith("/api/"):
                assert NEED_KEY in (await response.json())["error"]
            else:
                assert NEED_KEY in text and 'name="q"' not in text  # a note, not the search box
            assert ACCESS_COOKIE not in cookies(response)
        for path in ("/feedback", "/api/feedback"):
            response = await client.post(path, data={"token": "0123456789ab", "vote": "up"})
            assert response.status == 401, path
            no_data(await response.text())
        # A cookie that is the key itself (not what the server sets) is no key.
        client.session.cookie_jar.update_cookies({ACCESS_COOKIE: KEY})
        assert (await client.get("/api/ask", params={"q": LIST_Q})).status == 401
        # The style sheet and the script hold no data: the note needs them.
        assert (await client.get("/static/web.css")).status == 200
        assert (await client.get("/static/web.js")).status == 200
    serve(web_settings, engine, body)


def test_the_key_once_then_the_cookie(web_settings, engine):
    async def body(client):
        response = await client.get("/", params={"key": KEY})
        assert response.status == 200
        set_cookies = cookies(response)
        access = set_cookies[ACCESS_COOKIE]
        assert access.value and KEY not in access.value  # an HMAC of the key, not the key
        assert access["httponly"] and access["samesite"] == "Lax" and int(access["max-age"]) >= 180 * 86400
        assert access["path"] == "/"
        uid = set_cookies[UID_COOKIE]
        assert uid["httponly"] and uid["samesite"] == "Lax"
        # From now on the cookie is enough, for pages and the API.
        page = await client.get("/", params={"q": LIST_Q})
        assert page.status == 200 and "低保审核" in await page.text()
        api = await client.get("/api/ask", params={"q": LIST_Q})
        assert api.status == 200 and (await api.json())["matches"][0]["id"] == "basic-052"
        assert ACCESS_COOKIE not in cookies(page)  # set once, not on every response
        # ?key= works on any URL, for clients that keep no cookies.
        other = new_visitor(client)
        direct = await other.get("/api/ask", params={"q": LIST_Q, "key": KEY})
        assert direct.status == 200
    serve(web_settings, engine, body)


def test_the_admin_key_is_separate(web_settings, engine):
    async def body(client):
        await enter(client)  # the town's key opens the page, not /admin
        assert (await client.get("/admin")).status == 401
        refused = await client.get("/admin", params={"key": KEY})
        assert refused.status == 401
        no_data(await refused.text())
        response = await client.get("/admin", params={"key": ADMIN_KEY})
        text = await response.text()
        assert response.status == 200 and "使用统计" in text and "未找到或被点" in text
        admin = cookies(response)[ADMIN_COOKIE]
        assert admin["path"] == "/admin" and admin["httponly"] and ADMIN_KEY not in admin.value
        assert (await client.get("/admin")).status == 200  # the admin cookie
        # The admin key alone does not open the page.
        other = new_visitor(client)
        assert (await other.get("/", params={"key": ADMIN_KEY})).status == 401
        assert (await other.get("/admin", params={"key": ADMIN_KEY})).status == 200
        assert (await other.get("/")).status == 401
    serve(web_settings, engine, body)


def test_admin_pages_are_off_without_an_admin_key(web_settings, engine):
    async def body(client):
        response = await client.get("/admin", params={"key": KEY})
        assert response.status == 403 and "WEB_ADMIN_KEY" in await response.text()
    serve(web_settings, engine, body, web_admin_key="")


def test_without_an_access_key_the_page_is_open(web_settings, engine):
    async def body(client):
        response = await client.get("/", params={"q": LIST_Q})
        assert response.status == 200 and "低保审核" in await response.text()
    serve(web_settings, engine, body, web_access_key="")


def test_guessing_keys_is_throttled(web_settings, engine):
    async def body(client):
        statuses = [(await client.get("/", params={"key": f"guess-{i}"})).status for i in range(12)]
        assert statuses[:10] == [401] * 10 and statuses[10:] == [429, 429]
    serve(web_settings, engine, body)


# --------------------------------------------------------------------------- safety


def test_a_question_with_markup_is_escaped(web_settings, engine):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>"\'&'

    async def body(client):
        await enter(client)
        for path in ("/", "/?fragment=1"):
            response = await client.get(path, params={"q": evil})
            text = await response.text()
            assert response.status == 200
            assert "<script>alert" not in text and "<img" not in text and "onerror=alert(1)>" not in text
            assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text  # shown as text
            assert len(re.findall(r"<script", text)) == (0 if "fragment" in path else 1)  # ours only
        api = await client.get("/api/ask", params={"q": evil})
        assert (await api.json())["query"] == evil  # JSON is data, not HTML
        assert api.headers["X-Content-Type-Options"] == "nosniff"
    serve(web_settings, engine, body)


def test_security_headers_and_no_inline_code(web_settings, engine):
    async def body(client):
        responses = [await client.get("/")]  # a 401 first
        await enter(client)
        for path in ("/", f"/?q={RIVER}", "/lists", "/item/basic-084", "/api/ask?q=x", "/static/web.css", "/missing"):
            responses.append(await client.get(path))
        for response in responses:
            csp = response.headers.get("Content-Security-Policy", "")
            assert "default-src 'self'" in csp, response.url
            assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.headers["Referrer-Policy"] == "no-referrer"
            text = await response.text()
            if response.content_type == "text/html":
                assert not re.search(r"<script(?![^>]*\ssrc=)", text), "inline script"
                assert "<style" not in text and not re.search(r"\sstyle=", text), "inline style"
                assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", text), "an asset from elsewhere"
                assert not re.search(r"\son[a-z]+=", text), "an inline event handler"
        assert responses[1].headers["Cache-Control"] == "no-store"
    serve(web_settings, engine, body)


def test_rate_limit_answers_429_in_chinese(web_settings, engine):
    async def body(client):
        await enter(client)
        for i in range(3):
            assert (await client.get("/", params={"q": f"{LIST_Q}{i}"})).status == 200
        page = await client.get("/", params={"q": LIST_Q})
        assert page.status == 429 and "请过" in await page.text()
        assert int(page.headers["Retry-After"]) >= 1
        api = await client.get("/api/ask", params={"q": LIST_Q})
        assert api.status == 429 and "每人每分钟最多 3 次" in (await api.json())["error"]
        # Browsing the list is not a question: still fine.
        assert (await client.get("/lists")).status == 200
        # Another visitor has a budget of their own.
        other = new_visitor(client)
        assert (await other.get("/", params={"q": LIST_Q, "key": KEY})).status == 200
    serve(web_settings, engine, body, rate_limit_per_minute=3)


def test_oversize_and_malformed_input(web_settings, engine):
    async def body(client):
        await enter(client)
        too_long = await client.get("/api/ask", params={"q": "低" * 1001})
        assert too_long.status == 413 and "太长" in (await too_long.json())["error"]
        assert (await client.get("/", params={"q": "低" * 1001})).status == 413
        long_ok = await client.get("/api/ask", params={"q": "村里" * 400 + LIST_Q})  # the engine takes a part
        assert long_ok.status == 200
        huge = await client.post("/api/feedback", data="token=" + "a" * 40_000,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert huge.status == 413 and (await huge.json())["error"]
        for top in ("0", "21", "abc", "-1", "３"):
            bad = await client.get("/api/ask", params={"q": LIST_Q, "top": top})
            assert bad.status == 400 and "top" in (await bad.json())["error"], top

        answer = await client.get("/api/ask", params={"q": RIVER})
        token = answer.headers["X-Answer-Token"]
        bad_bodies = [
            {"vote": "up"},                                   # no token
            {"token": "XYZ", "vote": "up"},                   # not a token
            {"token": token},                                 # neither vote nor item
            {"token": token, "vote": "up", "item": "none"},   # both
            {"token": token, "vote": "maybe"},
            {"token": token, "item": "basic-1"},
            {"token": token, "item": "basic-001"},            # a real item, not one this answer showed
            {"token": token, "vote": "up", "extra": "1"},     # unknown field
        ]
        for data in bad_bodies:
            for send in ("json", "data"):
                response = await client.post("/api/feedback", **{send: data})
                assert response.status == 400, (data, send)
                assert "评价没能记下" in (await response.json())["error"]
        for raw, kind in (("[1, 2]", "application/json"), ('{"token": 1}', "application/json"),
                          ("{", "application/json"), ("token=x", "text/plain")):
            response = await client.post("/api/feedback", data=raw, headers={"Content-Type": kind})
            assert response.status == 400, raw
        repeated = await client.post("/api/feedback", data=f"token={token}&vote=up&vote=down",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert repeated.status == 400
        form_page = await client.post("/feedback", data={"token": token, "vote": "sideways"})
        assert form_page.status == 400 and "评价没能记下" in await form_page.text()
        unknown = await client.post("/api/feedback", json={"token": "0123456789ab", "vote": "up"})
        assert unknown.status == 404 and "找不到" in (await unknown.json())["error"]
        assert (await client.get("/item/basic-999")).status == 404
        assert (await client.get("/lists/basic/99")).status == 404
        assert (await client.get("/lists/nothing")).status == 404
        assert (await client.put("/lists")).status == 405
    serve(web_settings, engine, body)


def test_fifty_concurrent_questions_all_answered(web_settings, engine):
    questions = [LIST_Q, RIVER, REFERRAL_Q, EMERGENCY_Q, "防汛抗旱镇里要干什么？"]

    async def body(client):
        await enter(client)
        started = time.perf_counter()

        async def one(i):
            response = await client.get("/api/ask", params={"q": questions[i % len(questions)]})
            return response.status, await response.json()
        results = await asyncio.gather(*(one(i) for i in range(50)))
        assert [status for status, _ in results] == [200] * 50
        for i, (_, got) in enumerate(results):
            assert got["query"] == questions[i % len(questions)]
        return time.perf_counter() - started
    elapsed = serve(web_settings, engine, body, rate_limit_per_minute=100)
    assert elapsed < 60


def test_the_loop_stays_free_while_searches_run(web_settings, engine):
    async def body(client):
        await enter(client)
        flood = [asyncio.ensure_future(client.get("/api/ask", params={"q": f"{RIVER}{i}"})) for i in range(20)]
        await asyncio.sleep(0.05)
        started = time.perf_counter()
        assert (await client.get("/lists")).status == 200  # no search: answered between them
        quick = time.perf_counter() - started
        await asyncio.gather(*flood)
        return quick
    assert serve(web_settings, engine, body, rate_limit_per_minute=100) < 2.0


# --------------------------------------------------------------------------- feedback and the log


def test_votes_and_corrections_land_in_the_question_log_as_web(web_settings, engine):
    async def body(client):
        await enter(client)
        up = token_of(await (await client.get("/", params={"q": LIST_Q})).text())
        done = await client.post("/feedback", data={"token": up, "vote": "up"})
        assert done.status == 200 and "谢谢" in await done.text()

        page = await (await client.get("/", params={"q": RIVER})).text()
        fixed = token_of(page)
        alternatives = re.findall(rf'href="/item/([a-z]+-\d{{3}})\?t={fixed}"', page)
        assert alternatives, "the river answer offers other items"
        tapped = await client.get(f"/item/{alternatives[0]}", params={"t": fixed})
        assert tapped.status == 200
        down = await client.post("/api/feedback", json={"token": fixed, "vote": "down"})
        choices = [c["id"] for c in (await down.json())["choices"]]
        assert choices[0] == "basic-084" and choices[-1] == "none" and alternatives[0] in choices
        picked = await client.post("/feedback", params={"fragment": "1"},
                                   data={"token": fixed, "item": alternatives[0]})
        text = await picked.text()
        assert picked.status == 200 and "已记录" in text and "<html" not in text  # the box only

        none = token_of(await (await client.get("/", params={"q": EMERGENCY_Q})).text())
        await client.post("/api/feedback", data={"token": none, "vote": "down"})
        gone = await client.post("/api/feedback", data={"token": none, "item": "none"})
        assert (await gone.json())["recorded"] == "none"

        # Only the asker may rate.
        other = new_visitor(client)
        await enter(other)
        stranger = await other.post("/api/feedback", json={"token": up, "vote": "down"})
        assert stranger.status == 403 and "提问的人" in (await stranger.json())["error"]
        return alternatives[0]

    alternative = serve(web_settings, engine, body)
    logged = rows(web_settings)
    assert [r.channel for r in logged] == ["web"] * 3
    first, second, third = logged
    assert (first.question, first.feedback, first.corrected) == (LIST_Q, "up", None)
    assert first.shown == ["basic-052"]
    assert (second.feedback, second.tapped, second.corrected) == ("down", alternative, alternative)
    assert (third.feedback, third.corrected) == ("down", "none")
    qlog = QuestionLog(web_settings.question_log_path)
    try:
        hashes = {qlog.owner(r.token) for r in logged}
    finally:
        qlog.close()
    assert len(hashes) == 1 and all(re.fullmatch(r"[0-9a-f]{20}", h) for h in hashes)


def test_empty_and_small_talk_are_not_logged(web_settings, engine):
    async def body(client):
        await enter(client)
        for q in ("", "   ", "你好"):
            response = await client.get("/", params={"q": q})
            assert response.status == 200 and 'name="token"' not in await response.text()
        # The API says what scripts/ask.py --json says: a hint, no search, no token.
        response = await client.get("/api/ask", params={"q": "有人没 问个事"})
        data = await response.json()
        assert response.status == 200 and "X-Answer-Token" not in response.headers
        assert data["kind"] == "none" and data["matches"] == [] and data["small_talk"].startswith("在的")
    serve(web_settings, engine, body)
    assert rows(web_settings) == []


# --------------------------------------------------------------------------- background and process


def test_the_index_watcher_runs_and_stops_with_the_app(web_settings, engine):
    calls = []

    async def counting() -> bool:
        calls.append(time.monotonic())
        return False
    engine.holder.refresh_if_rebuilt = counting

    async def body(client):
        await asyncio.sleep(0.5)
        return len(calls)
    during = serve(web_settings, engine, body, index_watch_seconds=0.05)
    assert during >= 3
    time.sleep(0.2)
    assert len(calls) <= during + 1  # cancelled at clean-up


def test_listening_without_a_key_only_on_the_loopback():
    assert listen_refusal("127.0.0.1", "") is None
    assert listen_refusal("::1", "") is None
    assert listen_refusal("0.0.0.0", "k") is None
    assert "WEB_ACCESS_KEY" in listen_refusal("0.0.0.0", "")
    assert listen_refusal("192.168.1.20", "") is not None


def _env(settings, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEB_"))}
    env.update(CORPUS_DIR=str(settings.corpus_dir), INDEX_DIR=str(settings.index_dir),
               EMBEDDING_MODEL=settings.embedding_model, QUESTION_LOG_PATH=str(settings.question_log_path),
               PYTHONPATH=str(ROOT), **extra)
    return env


def test_python_m_bot_web_refuses_a_public_address_without_a_key(web_settings, tmp_path):
    empty = tmp_path / "empty.env"
    empty.write_text("", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "bot", "web", "--host", "0.0.0.0", "--port", "8099",
                           "--env-file", str(empty)], check=False, cwd=ROOT, env=_env(web_settings), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "WEB_ACCESS_KEY" in done.stderr and "Traceback" not in done.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_python_m_bot_web_serves_and_exits_0_on_sigterm(web_settings, tmp_path):
    port = _free_port()
    empty = tmp_path / "empty.env"
    empty.write_text("", encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-m", "bot", "web", "--port", str(port), "--env-file", str(empty)],
                               cwd=ROOT, env=_env(web_settings, WEB_ACCESS_KEY=KEY), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, process.communicate()[1]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/ask?key={KEY}&q=%E4%BD%8E%E4%BF%9D",
                                            timeout=30) as response:
                    assert json.loads(response.read())["answered"] is True
                    break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "the web server did not come up"
                time.sleep(0.2)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
        assert process.returncode == 0, stderr
        assert time.monotonic() - started < 5
        assert KEY not in stderr and "低保" not in stderr  # neither the key nor the question in the logs
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def _wait_for_web(process, port: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, process.communicate()[1]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/web.css", timeout=10):
                return
        except (urllib.error.URLError, ConnectionError):
            assert time.monotonic() < deadline, "the web server did not come up"
            time.sleep(0.2)


def test_python_m_bot_all_serves_both_channels_over_one_index(web_settings, telegram_stub, tmp_path):
    """One process: Telegram (against the stand-in Bot API) and the web page, one question log, SIGTERM exits 0."""
    port = _free_port()
    empty = tmp_path / "empty.env"
    empty.write_text("", encoding="utf-8")
    env = _env(web_settings, WEB_ACCESS_KEY=KEY, TELEGRAM_BOT_TOKEN=telegram_stub.token,
               TELEGRAM_BASE_URL=telegram_stub.url, INDEX_WATCH_SECONDS="0")
    process = subprocess.Popen([sys.executable, "-m", "bot", "all", "--port", str(port), "--env-file", str(empty)],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_web(process, port)
        telegram_stub.wait_for(lambda: any(c.method == "getUpdates" for c in telegram_stub.calls),
                               timeout=60, what="polling")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/ask?key={KEY}&q=%E4%BD%8E%E4%BF%9D%E8%B0%81"
                                    "%E5%AE%A1%E6%89%B9", timeout=30) as response:
            assert json.loads(response.read())["matches"][0]["id"] == "basic-052"
        telegram_stub.send_text(4242, RIVER)
        [reply] = telegram_stub.wait_messages(4242, timeout=30)
        assert "堤防" in reply.text
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=15)
        assert process.returncode == 0, stderr
        assert time.monotonic() - started < 5
        assert stderr.count("search index ready") == 1, "the index was loaded more than once"
        assert "Traceback" not in stderr and " ERROR " not in stderr, stderr
        assert telegram_stub.token not in stderr and KEY not in stderr
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert sorted(r.channel for r in rows(web_settings)) == ["telegram", "web"]


def test_the_same_answer_opened_again_is_one_question(web_settings, engine):
    async def body(client):
        await enter(client)
        first = token_of(await (await client.get("/", params={"q": RIVER})).text())
        again = token_of(await (await client.get("/", params={"q": RIVER, "fragment": "1"})).text())
        assert again == first  # back button, reload: the same row, its votes stay together
        new_visitor(client)
        await enter(client)
        other = token_of(await (await client.get("/", params={"q": RIVER})).text())
        assert other != first
    serve(web_settings, engine, body)
    assert len(rows(web_settings)) == 2


def test_an_answer_opened_again_shows_its_rating_not_the_buttons_anew(web_settings, engine):
    """A web review reloaded a rated answer and got 👍/👎 again, as if it had never been rated."""
    async def body(client):
        await enter(client)
        token = token_of(await (await client.get("/", params={"q": RIVER})).text())
        await client.post("/feedback", data={"token": token, "vote": "down"})
        picker = await (await client.get("/", params={"q": RIVER})).text()
        assert 'name="vote"' not in picker and 'name="item" value="none"' in picker, "still to pick the right one"
        await client.post("/feedback", data={"token": token, "item": "none"})
        done = await (await client.get("/", params={"q": RIVER, "fragment": "1"})).text()
        assert 'name="vote"' not in done and 'name="item"' not in done and "已记录" in done
        up = token_of(await (await client.get("/", params={"q": LIST_Q})).text())
        assert up != token
        await client.post("/api/feedback", json={"token": up, "vote": "up"})
        thanked = await (await client.get("/", params={"q": LIST_Q})).text()
        assert 'name="vote"' not in thanked and "谢谢" in thanked
        new_visitor(client)
        await enter(client)
        fresh = await (await client.get("/", params={"q": LIST_Q})).text()
        assert token_of(fresh) != up and 'name="vote"' in fresh, "someone else rates their own answer"
    serve(web_settings, engine, body)
    logged = rows(web_settings)
    assert [(r.feedback, r.corrected) for r in logged] == [("down", "none"), ("up", None), (None, None)]


def test_invented_uids_are_replaced_and_share_the_address_budget(web_settings, engine):
    async def body(client):
        statuses = []
        for i in range(5):
            client.session.cookie_jar.clear()
            client.session.cookie_jar.update_cookies({UID_COOKIE: f"made-up-{i}.0123456789abcdef0123"})
            response = await client.get("/api/ask", params={"q": f"{LIST_Q}{i}", "key": KEY})
            statuses.append(response.status)
            if response.status == 200:
                issued = cookies(response)[UID_COOKIE].value
                assert issued != f"made-up-{i}.0123456789abcdef0123" and "." in issued
        assert statuses == [200, 200, 200, 429, 429]
    serve(web_settings, engine, body, rate_limit_per_minute=3)
