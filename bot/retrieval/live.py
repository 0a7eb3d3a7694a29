"""The live Searcher, swapped without a restart when the index has been rebuilt.

Loading a build takes well under a second and runs in a worker thread; only the reference
swap runs on the event loop, so questions in flight finish on the Searcher they started
with. Building (minutes, CPU-heavy) runs in a child process (`python -m bot.retrieval.rebuild`):
answers stay fast meanwhile, and a shutdown cancels it by killing the child, whose
half-written build is discarded by construction (see store.py).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
from dataclasses import dataclass, field

from bot.retrieval.searcher import Searcher
from bot.retrieval.store import IndexMeta, IndexUnavailable, check_index, read_meta
from bot.settings import Settings

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 15.0


class RebuildFailed(RuntimeError):
    """The corpus did not build; the message is the builder's own (file:line …)."""


class RebuildStopped(IndexUnavailable):
    """The build was stopped because the bot is shutting down: nothing is wrong with the corpus."""


@dataclass(frozen=True)
class ReloadOutcome:
    changed: bool
    meta: IndexMeta


def _child_env(settings: Settings) -> dict[str, str]:
    """The child builds what this process serves, whatever .env or overrides it was started with."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env.update(CORPUS_DIR=str(settings.corpus_dir), INDEX_DIR=str(settings.index_dir),
               EMBEDDING_MODEL=settings.embedding_model)
    return env


@dataclass
class SearcherHolder:
    settings: Settings
    searcher: Searcher | None = None
    # A build that failed to load is not retried every tick, only when the build changes again.
    failed_build: str = ""
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _child: asyncio.subprocess.Process | None = field(default=None, init=False, repr=False)
    _killed: bool = field(default=False, init=False, repr=False)
    # The task opening the index at start-up: a stop signal can leave it suspended mid-build.
    _opening: asyncio.Task | None = field(default=None, init=False, repr=False)

    @property
    def build_id(self) -> str:
        return self.searcher.index.meta.build_id if self.searcher else ""

    @property
    def building(self) -> bool:
        return self._child is not None and self._child.returncode is None

    def _load(self) -> Searcher:
        from bot.retrieval.opening import open_searcher

        return open_searcher(self.settings, build_if_needed=False)

    async def rebuild(self) -> None:
        """Build the index from the corpus in a child process; RebuildFailed with its error.

        RebuildStopped when kill_build() ended it (shutdown): not the corpus's fault.
        """
        started = time.perf_counter()
        self._killed = False
        self._child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.retrieval.rebuild", env=_child_env(self.settings),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            waiter = asyncio.ensure_future(self._child.communicate())
            while not (await asyncio.wait({waiter}, timeout=HEARTBEAT_SECONDS))[0]:
                log.info("still building the search index (%.0f s so far; a full build takes a few minutes)",
                         time.perf_counter() - started)
            out, err = waiter.result()
        except asyncio.CancelledError:
            self.kill_build()
            # Reap the killed child here, on a running loop: left to the garbage collector its
            # pipes close after the loop has (a traceback on stderr at every such stop).
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(waiter, timeout=5)
            raise
        finally:
            code = self._child.returncode
            self._child = None
        if code != 0 and self._killed:
            raise RebuildStopped("the bot is stopping, so the index build was stopped and nothing changed; "
                                 "send /reload again once the bot is back")
        if code != 0:
            message = err.decode("utf-8", "replace").strip().splitlines()
            raise RebuildFailed(message[-1].removeprefix("error: ") if message else f"exit code {code}")
        log.info("%s", out.decode("utf-8", "replace").strip())

    def kill_build(self) -> None:
        if self._child is not None and self._child.returncode is None and not self._killed:
            self._killed = True
            with contextlib.suppress(ProcessLookupError):
                self._child.kill()
            log.warning("index build stopped; the unfinished build is discarded")

    async def stop(self) -> None:
        """Shutdown: kill a build and finish a start-up left waiting on it.

        PTB stops the loop from its signal handler, so a SIGTERM during post_init leaves that
        coroutine suspended; cancelling and awaiting it lets the child be reaped before the
        loop closes.
        """
        self.kill_build()
        opening, self._opening = self._opening, None
        if opening is not None and not opening.done() and opening is not asyncio.current_task():
            opening.cancel()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await opening
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise asyncio.CancelledError  # stop() itself was cancelled, not only the start-up

    async def open(self, build_if_needed: bool) -> Searcher:
        """Load the current index, building it first (in a child) if it is missing or stale."""
        started = time.perf_counter()
        self._opening = asyncio.current_task()
        try:
            stale = await asyncio.to_thread(check_index, self.settings, self.settings.embedding_model)
            if stale and build_if_needed:
                log.info("%s; building the index now", stale.split(":")[0])
                try:
                    await self.rebuild()
                except RebuildFailed as exc:
                    # The corpus has an error: serve the last good build if there is one (opening.py).
                    log.warning("index build failed: %s", exc)
            searcher = await asyncio.to_thread(self._load_allowing_stale)
            meta = searcher.index.meta
            log.info("search index ready: build %s, %d items, %d passages, model %s (%.1f s)",
                     meta.build_id, meta.items, meta.passages, meta.model, time.perf_counter() - started)
            return searcher
        finally:
            self._opening = None

    def _load_allowing_stale(self) -> Searcher:
        from bot.retrieval.opening import open_searcher

        return open_searcher(self.settings, build_if_needed=False, allow_stale=True)

    async def reload(self) -> ReloadOutcome:
        """Admin /reload: rebuild if the corpus changed, then load the current index.

        Raises RebuildFailed (corpus error; the old index keeps serving) or IndexUnavailable,
        also when the live build is damaged (the old index keeps serving: loading would
        only have fallen back to an earlier build, and the admin must hear why).
        """
        async with self.lock:
            old = self.build_id
            stale = await asyncio.to_thread(check_index, self.settings, self.settings.embedding_model)
            if stale:
                await self.rebuild()
            searcher = await asyncio.to_thread(self._load)
            damaged = searcher.index.fallback_reason
            if damaged:
                meta = await asyncio.to_thread(read_meta, self.settings.index_dir)
                self.failed_build = meta.build_id if meta else ""
                raise IndexUnavailable(f"{damaged}; still serving build {old}" if old else damaged)
            self.searcher = searcher
            self.failed_build = ""
            return ReloadOutcome(self.build_id != old, searcher.index.meta)

    async def refresh_if_rebuilt(self) -> bool:
        """Switch to a newer build if there is one; the watcher never builds by itself."""
        meta = await asyncio.to_thread(read_meta, self.settings.index_dir)
        if meta is None or meta.build_id in (self.build_id, self.failed_build):
            return False
        async with self.lock:
            if meta.build_id == self.build_id:  # a concurrent /reload got there first
                return False
            log.info("index rebuilt (build %s); switching", meta.build_id)
            try:
                searcher = await asyncio.to_thread(self._load_allowing_stale)
            except (IndexUnavailable, Exception) as exc:  # a broken build must not take the bot down
                self.failed_build = meta.build_id
                log.warning("could not load index build %s, keeping build %s: %s", meta.build_id, self.build_id, exc)
                return False
            if searcher.index.meta.build_id != meta.build_id:
                self.failed_build = meta.build_id
                log.warning("index build %s did not load; serving build %s", meta.build_id,
                            searcher.index.meta.build_id)
            self.searcher = searcher
            return True
