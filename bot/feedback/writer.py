"""One writer thread per process for the question log, fed through a bounded queue.

Answers never wait for the log: a locked or slow database only backs up this queue. When
the queue is full the row is dropped, counted, and a warning is logged at most once a minute.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)
QUEUE_SIZE = 2000
WARN_EVERY_SECONDS = 60.0


class LogWriter:
    def __init__(self, maxsize: int = QUEUE_SIZE) -> None:
        self._queue: queue.Queue[Callable[[], object] | None] = queue.Queue(maxsize)
        self.dropped = 0
        self._last_warning = 0.0
        self._thread = threading.Thread(target=self._run, name="question-log-writer", daemon=True)
        self._thread.start()

    def submit(self, job: Callable[[], object]) -> bool:
        """Queue a write; False (and counted) when the queue is full."""
        try:
            self._queue.put_nowait(job)
            return True
        except queue.Full:
            self.dropped += 1
            now = time.monotonic()
            if now - self._last_warning >= WARN_EVERY_SECONDS:
                self._last_warning = now
                log.warning("question log is falling behind: %d row(s) dropped so far", self.dropped)
            return False

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                job()
            except Exception:  # a failed write must not stop the writer
                log.exception("question log write failed")
            finally:
                self._queue.task_done()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything queued so far is written (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def close(self, timeout: float = 3.0) -> None:
        """Write what is queued (within `timeout`) and stop the thread; what is left is counted
        in a warning (shutdown must not wait on a slow or locked database)."""
        if not self.flush(timeout):
            log.warning("question log: %d write(s) still queued after %.0f s at shutdown; they are lost",
                        self._queue.unfinished_tasks, timeout)
        try:
            self._queue.put(None, timeout=0.5)
        except queue.Full:
            return
        self._thread.join(timeout=0.5)
