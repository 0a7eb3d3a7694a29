"""Who may open the web page, and who is asking.

- WEB_ACCESS_KEY: `?key=<key>` on any URL, or the cookie that the first such visit sets.
  Without the key (and without a valid cookie) every page and API answers 401 and no data.
  With no key configured the page is open, and then it may only listen on the loopback.
- WEB_ADMIN_KEY: the same for /admin, with a cookie of its own (scoped to /admin).
- Every visitor gets a random, signed `uid` cookie: the question log knows them only as a
  salted hash of it, and the rate limit counts per uid (per address until the cookie exists).

Cookies carry an HMAC of the key, never the key itself; changing a key logs everyone out.
All comparisons go through hmac.compare_digest.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass

from aiohttp import web

ACCESS_COOKIE = "zzt_access"
ADMIN_COOKIE = "zzt_admin"
UID_COOKIE = "zzt_uid"
ADMIN_PATH = "/admin"
COOKIE_MAX_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie
_UID_RANDOM_BYTES = 16
_UID_SIG_CHARS = 20


def same(given: str, expected: str) -> bool:
    """Constant-time equality of two strings (any characters)."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _derive(secret: str, purpose: str) -> str:
    return hmac.new(secret.encode("utf-8"), f"zhizetong-web:{purpose}".encode(), hashlib.sha256).hexdigest()


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def listen_refusal(host: str, access_key: str) -> str | None:
    """Why the server must not listen on `host`, or None: without a key, only the loopback."""
    if access_key or is_loopback(host):
        return None
    return (f"WEB_ACCESS_KEY is not set: refusing to listen on {host} (only 127.0.0.1 without a key); "
            "set WEB_ACCESS_KEY in .env or the environment")


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    set_cookie: str = ""  # the cookie to set (a key came in the URL), or ""
    wrong_key: bool = False  # a key was given and it was wrong (counted against the address)


class Access:
    def __init__(self, access_key: str, admin_key: str) -> None:
        self.access_key = access_key
        self.admin_key = admin_key
        self._access_cookie = _derive(access_key, "access") if access_key else ""
        self._admin_cookie = _derive(admin_key, "admin") if admin_key else ""
        # uids are signed so a client cannot mint fresh ones to dodge the rate limit; the
        # secret survives restarts when a key is set (otherwise every restart renews the uids).
        seed = access_key + "\0" + admin_key
        self._uid_secret = _derive(seed, "uid") if seed.strip("\0") else secrets.token_hex(32)

    @property
    def open(self) -> bool:
        """No access key: everyone (on the loopback) may use the page."""
        return not self.access_key

    @property
    def admin_enabled(self) -> bool:
        return bool(self.admin_key)

    def _check(self, request: web.Request, key: str, cookie_name: str, cookie_value: str) -> Verdict:
        given = request.query.get("key")
        if given is not None and same(given, key):
            ok_cookie = same(request.cookies.get(cookie_name, ""), cookie_value)
            return Verdict(True, "" if ok_cookie else cookie_value)
        if same(request.cookies.get(cookie_name, ""), cookie_value):
            return Verdict(True)
        return Verdict(False, wrong_key=given is not None)

    def check(self, request: web.Request) -> Verdict:
        """May this request see the page or the API (not /admin)?"""
        if self.open:
            return Verdict(True)
        return self._check(request, self.access_key, ACCESS_COOKIE, self._access_cookie)

    def check_admin(self, request: web.Request) -> Verdict:
        if not self.admin_enabled:
            return Verdict(False)
        return self._check(request, self.admin_key, ADMIN_COOKIE, self._admin_cookie)

    # -- the visitor's random id ---------------------------------------------------------
    def _sign(self, random_part: str) -> str:
        return hmac.new(self._uid_secret.encode(), random_part.encode(), hashlib.sha256).hexdigest()[:_UID_SIG_CHARS]

    def new_uid(self) -> str:
        random_part = secrets.token_urlsafe(_UID_RANDOM_BYTES)
        return f"{random_part}.{self._sign(random_part)}"

    def uid_of(self, request: web.Request) -> str | None:
        """The request's uid cookie when it is one we signed."""
        value = request.cookies.get(UID_COOKIE, "")
        random_part, dot, signature = value.partition(".")
        if not dot or not random_part or len(value) > 100 or not same(signature, self._sign(random_part)):
            return None
        return value


def client_address(request: web.Request) -> str:
    """The client's address; behind a reverse proxy on the loopback, the one it forwards."""
    peer = request.remote or ""
    if is_loopback(peer):
        forwarded = request.headers.get("X-Real-IP") or request.headers.get("X-Forwarded-For", "").split(",")[-1]
        if forwarded.strip():
            return forwarded.strip()
    return peer


def is_https(request: web.Request) -> bool:
    """HTTPS here, or at the reverse proxy in front of us (then cookies get the Secure flag)."""
    if request.secure:
        return True
    return is_loopback(request.remote or "") and request.headers.get("X-Forwarded-Proto", "").lower() == "https"


def set_cookie(response: web.StreamResponse, request: web.Request, name: str, value: str, path: str = "/") -> None:
    response.set_cookie(name, value, max_age=COOKIE_MAX_AGE, path=path, httponly=True, samesite="Lax",
                        secure=is_https(request))
