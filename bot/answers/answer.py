"""What the bot answers, as data: one Answer per question, whatever the channel.

Channels render it (Telegram HTML, the web page, the terminal); `to_json` is the contract of
`scripts/ask.py --json` and of the web API.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from bot.answers.roles import town_role
from bot.retrieval.searcher import Match

# kind: "list" (an item of the town's list answers it), "referral" (a common matter outside
# the list: where people usually go), "none" (neither), "empty" (nothing to search for).
KINDS = ("list", "referral", "none", "empty")


@dataclass(frozen=True)
class Emergency:
    numbers: tuple[str, ...]
    text: str

    def to_json(self) -> dict:
        return {"numbers": list(self.numbers), "text": self.text}


@dataclass(frozen=True)
class ReferralAnswer:
    id: str
    name: str
    where: str
    numbers: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {"id": self.id, "name": self.name, "where": self.where}


@dataclass(frozen=True)
class MatterPart:
    """One item of a matter as the reply lists it: whose part it is, in a few words."""

    id: str
    short: str
    list: str
    who: str  # "镇里负责" / "市民政局牵头、镇里配合" / "归市民政局" / "已停止办理"


@dataclass(frozen=True)
class MatterAnswer:
    name: str
    items: tuple[str, ...]
    parts: tuple[MatterPart, ...] = ()

    def to_json(self) -> dict:
        return {"name": self.name, "items": list(self.items)}


@dataclass(frozen=True)
class ContactLine:
    name: str
    phone: str  # "" when the admins have not filled it in
    fallback: str = ""  # e.g. "12345" for a city department without a phone
    walk_in: bool = False  # a town office without a phone: the reply says where to go instead (📍)
    village: bool = False  # the village committee or grid worker may be asked first
    cadre: bool = False  # asked by a cadre or grid worker: report to the town's office, not a counter or hotline


@dataclass
class Answer:
    question: str  # as asked
    text: str  # what was searched (cleaned, the question part of a long message; the first ask of several)
    kind: str
    note: str = ""  # "", "empty", "truncated" (only a part of a long message was used)
    matches: list[Match] = field(default_factory=list)  # list items, best first
    who: str = ""  # "镇里负责" …: the first line of a list answer, without "归谁管："
    matter: MatterAnswer | None = None
    emergency: Emergency | None = None
    referral: ReferralAnswer | None = None
    contacts: list[ContactLine] = field(default_factory=list)
    # Other items worth offering (close enough to the best one), as buttons or links.
    alternatives: list[Match] = field(default_factory=list)
    shorts: dict[str, str] = field(default_factory=dict)  # item id -> short name
    small_talk: str = ""  # the hint that answers a greeting or thanks (no search was made)
    # The other matters of a message that raises several ("停电了 还有自来水也不来"), each
    # answered on its own; `question` of each is its ask.
    others: list[Answer] = field(default_factory=list)
    # Asks of such a message that seem to be matters of their own but were not answered apart: named
    # in the reply, to be sent alone, instead of dropped without a word.
    unsure_asks: list[str] = field(default_factory=list)

    @property
    def answered(self) -> bool:
        return self.kind == "list"

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.answered and self.matches else None

    @property
    def shown_ids(self) -> list[str]:
        """The items this answer puts in front of the asker (logged, offered for a correction)."""
        best = [self.matches[0].id] if self.answered and self.matches else []
        # Not the other matters' items: the log and a vote are about this answer to `text`, its
        # first ask (a correction must not teach "停电了" the water item).
        return best + [m.id for m in self.alternatives if m.id not in best]

    @property
    def wants_feedback(self) -> bool:
        """👍/👎 only where there is something to rate: a list item or a referral."""
        return self.kind in ("list", "referral")

    def short(self, item_id: str, fallback: str = "") -> str:
        return self.shorts.get(item_id) or fallback

    def label(self, m: Match) -> str:
        """An item as a button or link says it: its short name, else the head of its title."""
        return self.short(m.id, m.title[:12])

    @property
    def further_items(self) -> list[tuple[str, str]]:
        """(id, label) of each other matter's item, for a 详情 button or link each."""
        return [(o.best.id, o.label(o.best)) for o in self.others if o.best is not None]

    def _match_json(self, m: Match) -> dict:
        data = m.to_json()
        if m.duty is not None:  # the town's part in one phrase, as ask.py --json always gave it
            data["town_role"] = town_role(m.duty, m.lead_department, m.penalty)
        data["short"] = self.short(m.id, m.title)
        return data

    def to_json(self) -> dict:
        return {
            "query": self.question,
            "answered": self.answered,
            "kind": self.kind if self.kind != "empty" else "none",
            "who": self.who,
            "matter": self.matter.to_json() if self.matter else None,
            "emergency": self.emergency.to_json() if self.emergency else None,
            "referral": self.referral.to_json() if self.referral else None,
            "matches": [self._match_json(m) for m in self.matches],
        } | ({"small_talk": self.small_talk} if self.small_talk else {}) | (
            {"more_matters": [other.to_json() for other in self.others]} if self.others else {}) | (
            {"unsure_asks": list(self.unsure_asks)} if self.unsure_asks else {})
