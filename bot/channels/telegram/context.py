"""What the handlers share, typed: context.bot_data is a BotData (ContextTypes)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from telegram.ext import CallbackContext, ContextTypes, ExtBot

if TYPE_CHECKING:
    from bot.channels.rate_limit import RateLimiter
    from bot.channels.telegram.access import AccessGate
    from bot.channels.telegram.delivery import Delivery
    from bot.engine import Engine
    from bot.feedback.usage import UsageLog
    from bot.retrieval.live import SearcherHolder
    from bot.settings import Settings


class BotData:
    """Filled in by build_application; PTB creates it empty (it needs a no-argument constructor)."""

    settings: Settings
    engine: Engine
    holder: SearcherHolder
    gate: AccessGate
    limiter: RateLimiter
    usage: UsageLog
    delivery: Delivery
    # Searches (embedding + FAISS) get threads of their own: log reads or a slow disk elsewhere
    # must not queue them behind other work in the default executor.
    search_pool: ThreadPoolExecutor
    startup_problem: str = ""  # a corpus error found at start-up, told to admins


Context = CallbackContext[ExtBot[None], dict, dict, BotData]
CONTEXT_TYPES = ContextTypes(context=CallbackContext, bot_data=BotData)
