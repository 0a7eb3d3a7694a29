"""Who does what, in the few words a village cadre reads first."""
from __future__ import annotations

from bot.corpus.model import Duty

TOWN = "镇里"


def lead(departments: list[str], limit: int = 2) -> str:
    """"市民政局" / "市民政局、市财政局" / "市应急管理局等7个部门"."""
    if len(departments) <= limit:
        return "、".join(departments)
    return f"{departments[0]}等{len(departments)}个部门"


def town_role(duty: Duty, department_first: str = "", penalty: bool = False) -> str:
    """The township's part in one phrase (kept in the JSON as `town_role`)."""
    if duty.list == "basic":
        return "本镇负责（本镇行政处罚）" if penalty else "本镇负责"
    if duty.list == "returned":
        if duty.discontinued:
            return "该事项已停止办理"
        return f"已由{'、'.join(duty.departments)}承接、本镇不再负责"
    return f"{lead(duty.departments_first(department_first))}牵头、本镇配合"


def who_part(duty: Duty, department_first: str = "") -> str:
    """Whose job one item is, without naming the item: 镇里负责 / X牵头、镇里配合 / 归X / 已停止办理."""
    if duty.list == "basic":
        return f"{TOWN}负责"
    if duty.list == "coop":
        return f"{lead(duty.departments_first(department_first))}牵头、{TOWN}配合"
    if duty.discontinued:
        return "已停止办理"
    return f"归{lead(list(duty.departments))}（{TOWN}不再负责）"


# The town's part first: its own work, then what it helps with, then what went to the city.
TOWN_FIRST = {"basic": 0, "coop": 1, "returned": 2}


def town_first(duties: list[Duty]) -> list[Duty]:
    return sorted(duties, key=lambda d: (TOWN_FIRST[d.list], d.discontinued))
