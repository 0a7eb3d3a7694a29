"""Index-folder helpers shared by the fault tests."""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from bot.retrieval.store import current_path


def clone_live_build(settings) -> Path:
    """A second, newer build (a copy of the live one), swapped in as `current`.

    As good as a second build_index run for what is tested here, in a fraction of the time.
    """
    live = current_path(settings.index_dir).resolve()
    meta = json.loads((live / "meta.json").read_text(encoding="utf-8"))
    build_id = time.strftime("%Y%m%dT%H%M%S999999-1", time.gmtime(time.time() + 3600))
    new = live.parent / build_id
    shutil.copytree(live, new)
    (new / "meta.json").write_text(json.dumps({**meta, "build_id": build_id}), encoding="utf-8")
    link = settings.index_dir / ".current-test"
    link.symlink_to(new.relative_to(settings.index_dir))
    os.replace(link, current_path(settings.index_dir))
    return new
