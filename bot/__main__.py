"""`python -m bot [telegram]`: start a channel of 职责通.

`telegram` (the default, so the plain `python -m bot` of earlier releases keeps working)
polls Telegram. Each channel module owns its arguments and its start-up errors.
"""
from __future__ import annotations

import argparse
import sys

from bot.channels.telegram import run as telegram_run

CHANNELS = {"telegram": telegram_run}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    channel = argv.pop(0) if argv and argv[0] in CHANNELS else "telegram"
    module = CHANNELS[channel]
    parser = argparse.ArgumentParser(prog=f"python -m bot {channel}", description=module.__doc__)
    module.add_arguments(parser)
    return module.run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
