"""`python -m bot [telegram|web|all]`: start a channel of 职责通.

`telegram` (the default, so the plain `python -m bot` of earlier releases keeps working)
polls Telegram; `web` serves the phone page; `all` runs both in one process over one loaded
index. Each channel module owns its arguments and its start-up errors.
"""
from __future__ import annotations

import argparse
import sys

from bot.channels import combined as all_run
from bot.channels.telegram import run as telegram_run
from bot.channels.web import run as web_run

CHANNELS = {"telegram": telegram_run, "web": web_run, "all": all_run}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    channel = argv.pop(0) if argv and argv[0] in CHANNELS else "telegram"
    module = CHANNELS[channel]
    parser = argparse.ArgumentParser(prog=f"python -m bot {channel}", description=module.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    module.add_arguments(parser)
    return module.run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
