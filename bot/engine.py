"""One engine for every channel: a question in, an Answer out, over the live index.

channel -> Engine.ask -> Searcher.search (retrieval) -> compose (answers) -> the channel
renders and sends. The engine knows nothing of Telegram or HTTP.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

from bot.answers.answer import Answer
from bot.answers.compose import Knowledge, compose, short_of
from bot.answers.small_talk import is_small_talk, small_talk_reply
from bot.corpus.contacts import Contact, load_contacts
from bot.corpus.model import CorpusError, Duty
from bot.retrieval.live import SearcherHolder
from bot.retrieval.searcher import Searcher

log = logging.getLogger(__name__)


class ContactBook:
    """corpus/contacts.tsv, read again whenever the file changes (admins fill in phones while the bot runs).

    A file that no longer reads keeps the previous contacts and logs one warning per change.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[float, int] | None = None
        self._contacts: list[Contact] = []
        self._lock = threading.Lock()

    def current(self) -> list[Contact]:
        try:
            stat = self.path.stat()
            stamp: tuple[float, int] | None = (stat.st_mtime, stat.st_size)
        except OSError:
            stamp = None
        with self._lock:
            if stamp != self._stamp:
                self._stamp = stamp
                try:
                    self._contacts = load_contacts(self.path) if stamp else []
                except CorpusError as exc:
                    log.warning("contacts not reloaded, keeping the previous ones: %s", exc)
            return self._contacts


class Engine:
    def __init__(self, holder: SearcherHolder, contacts: ContactBook, top_k: int = 5) -> None:
        self.holder = holder
        self.contacts = contacts
        self.top_k = top_k

    @property
    def searcher(self) -> Searcher | None:
        return self.holder.searcher

    def knowledge(self, searcher: Searcher) -> Knowledge:
        index = searcher.index
        return Knowledge(shorts=index.shorts, matters=index.matters, contacts=self.contacts.current())

    def ask(self, question: str, top_k: int | None = None) -> Answer:
        """CPU work (embedding, search): channels call it off their event loop."""
        searcher = self.holder.searcher
        if searcher is None:
            raise RuntimeError("the search index is not loaded yet")
        if is_small_talk(question):  # a search would find some matter for "有人没 问个事"
            return Answer(question, "", "none", small_talk=small_talk_reply(question))
        result = searcher.search(question, top_k or self.top_k)
        return compose(result, self.knowledge(searcher), searcher.duty)

    def duty(self, item_id: str) -> Duty | None:
        searcher = self.holder.searcher
        return searcher.duty(item_id) if searcher else None

    def short(self, duty: Duty) -> str:
        searcher = self.holder.searcher
        return short_of(duty, searcher.index.shorts if searcher else {})


def open_engine(settings, build_if_needed: bool = False, progress: bool = False) -> Engine:
    """An Engine over the current index (built first if missing or stale, with build_if_needed)."""
    from bot.retrieval.opening import open_searcher

    searcher = open_searcher(settings, build_if_needed=build_if_needed, progress=progress)
    return Engine(SearcherHolder(settings, searcher), ContactBook(settings.contacts_file), settings.top_k)
