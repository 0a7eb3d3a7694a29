"""The Telegram channel: the only code that imports `telegram`."""
import os

# PTB 22 warns on every RetryAfter unless opted in to timedeltas; delivery.py reads both forms.
os.environ.setdefault("PTB_TIMEDELTA", "true")
