"""A stop signal while start-up builds the index: the child is reaped before the loop closes."""
from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys

import pytest

from bot.retrieval import live
from bot.retrieval.live import SearcherHolder
from bot.settings import Settings


def test_a_stop_signal_during_the_start_up_build_leaves_nothing_behind(monkeypatch, tmp_path, caplog):
    """PTB's signal handler raises SystemExit out of run_until_complete(post_init), leaving the
    build suspended; shutdown then runs on the same loop and closes it."""
    monkeypatch.setattr(live, "check_index", lambda settings, model: "the duty list changed: rebuild")
    real_exec = asyncio.create_subprocess_exec

    async def slow_child(*args, **kwargs):  # stands in for a build of several minutes
        child = await real_exec(sys.executable, "-c", "import time; time.sleep(60)",
                                stdout=kwargs["stdout"], stderr=kwargs["stderr"])
        asyncio.get_running_loop().call_later(0.2, signal_handler)  # the stop signal, once the build runs
        return child
    monkeypatch.setattr(live.asyncio, "create_subprocess_exec", slow_child)
    unraisable: list[str] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: unraisable.append(repr(u.exc_value)))
    holder = SearcherHolder(Settings.from_env(env_file=None, index_dir=tmp_path))

    def signal_handler() -> None:
        raise SystemExit  # what Application._raise_system_exit does

    loop = asyncio.new_event_loop()
    try:
        with caplog.at_level(logging.WARNING, logger="asyncio"), pytest.raises(SystemExit):
            loop.run_until_complete(holder.open(build_if_needed=True))
        child = holder._child
        assert child is not None and child.returncode is None
        loop.run_until_complete(holder.stop())
    finally:
        loop.close()
    gc.collect()
    assert child.returncode is not None
    with pytest.raises(ProcessLookupError):
        os.kill(child.pid, 0)
    assert not unraisable
    assert not [r for r in caplog.records if r.name == "asyncio"], caplog.text
