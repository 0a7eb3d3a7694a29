"""The live Searcher, swapped without a restart when scripts/build_index.py has rebuilt the index.

Loading happens in a worker thread; only the reference swap runs on the event loop, so
questions in flight finish on the Searcher they started with.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass, field

from bot.retrieval.opening import open_searcher
from bot.retrieval.searcher import Searcher
from bot.retrieval.store import IndexMeta, read_meta
from bot.settings import Settings

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 15.0


@dataclass(frozen=True)
class ReloadOutcome:
    changed: bool
    meta: IndexMeta


@dataclass
class SearcherHolder:
    settings: Settings
    searcher: Searcher | None = None
    # A build that failed to load is not retried every tick, only when the build changes again.
    failed_build: str = ""
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _loads: int = field(default=0, init=False, repr=False)
    _loads_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def loading(self) -> bool:
        """A worker thread is loading or building an index right now (even if its awaiter is gone)."""
        return self._loads > 0

    def _load(self, build_if_needed: bool, progress: bool) -> Searcher:
        # Counted in the worker thread itself, so a cancelled await cannot make it look finished.
        with self._loads_lock:
            self._loads += 1
        try:
            return open_searcher(self.settings, build_if_needed, progress)
        finally:
            with self._loads_lock:
                self._loads -= 1

    @property
    def build_id(self) -> str:
        return self.searcher.index.meta.build_id if self.searcher else ""

    async def open(self, build_if_needed: bool, progress: bool = False) -> Searcher:
        started = time.perf_counter()
        work = asyncio.ensure_future(asyncio.to_thread(self._load, build_if_needed, progress))
        # A first build takes minutes: say now and then that start-up is still going.
        try:
            while not (await asyncio.wait({work}, timeout=HEARTBEAT_SECONDS))[0]:
                log.info("still opening the search index (%.0f s so far; a full build takes a few minutes)",
                         time.perf_counter() - started)
        except asyncio.CancelledError:
            work.cancel()  # the thread runs on (see `loading`); nobody awaits its result any more
            raise
        searcher = work.result()
        meta = searcher.index.meta
        log.info("search index ready: build %s, %d items, %d passages, model %s (%.1f s)",
                 meta.build_id, meta.items, meta.passages, meta.model, time.perf_counter() - started)
        return searcher

    async def reload(self) -> ReloadOutcome:
        """Admin /reload: load the current index, rebuilding it first if the corpus changed."""
        async with self.lock:
            old = self.build_id
            self.searcher = await self.open(build_if_needed=True)
            self.failed_build = ""
            return ReloadOutcome(self.build_id != old, self.searcher.index.meta)

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
                searcher = await self.open(build_if_needed=False)
            except Exception as exc:  # a half-finished corpus edit must not take the bot down
                self.failed_build = meta.build_id
                log.warning("could not load index build %s, keeping build %s: %s", meta.build_id, self.build_id, exc)
                return False
            self.searcher = searcher
            return True


async def watch_index(holder: SearcherHolder, every_seconds: float) -> None:
    """Poll the index metadata until cancelled (at shutdown)."""
    while True:
        await asyncio.sleep(every_seconds)
        try:
            await holder.refresh_if_rebuilt()
        except Exception:
            log.exception("checking the index for a rebuild failed")
