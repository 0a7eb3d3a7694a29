"""Which emergency number to call first, per kind of danger (national numbers only)."""
from __future__ import annotations

from bot.answers.answer import Emergency

# kind -> (numbers, what to say). The first number is the one to dial now.
LINES: dict[str, tuple[tuple[str, ...], str]] = {
    "forest_fire": (("119", "12119"), "山林、草原着火先打 119 报警，森林草原火情也可打 12119；人先撤到安全地方，不要逆风扑火。"),
    "fire": (("119",), "着火了先打 119 报警；先救人、撤离，不要为财物回屋。"),
    "flood": (("110", "119"), "水情危急先打 110 或 119；人马上往高处转移，不要蹚水过河。"),
    # 119 (the fire brigade) does water and ice rescue: a black-box review found it missing here.
    "water_rescue": (("110", "119", "120"), "有人落水先打 110 或 119 求救，人救上来没气了打 120；不会水不要直接下水，"
                     "用竿子、绳子救。"),
    "ice": (("110", "119", "120"), "有人掉进冰窟窿先打 110 或 119 求救，再打 120；趴在冰面上用杆子、绳子救，别站着靠近。"),
    "gas": (("119", "120"), "闻到燃气味先关阀门、开窗，别开灯别打火，到屋外打 119。烧炕、烧炉子后头晕恶心是煤烟（一氧化碳）"
            "中毒：马上开门窗，把人抬到屋外通风处，打 120。"),
    # Coal smoke from a kang or a stove (CO), the northeast's winter danger: a person to save, not a leak to stop.
    "coal_gas": (("120", "119"), "烧炕、烧炉子后头晕、恶心、叫不醒是煤烟（一氧化碳）中毒：马上开门开窗，把人抬到屋外通风处，"
                 "打 120；屋里别再点火。"),
    "collapse": (("119", "120"), "房屋塌了有人被压先打 119 和 120；别贸然进去，防止再次坍塌。"),
    # 119 cuts out people trapped in a wreck: a black-box review found it missing here.
    "traffic": (("122", "120", "119"), "交通事故有人受伤先打 122 报警、120 急救，有人卡在车里出不来再打 119；"
                "开双闪、放警示牌，别移动重伤员。"),
    "fight": (("110", "120"), "正在打架、有人动刀先打 110 报警，有人受伤流血打 120；离远一点，别上前拉架。"),
    "violence": (("110",), "有人正在施暴、威胁生命先打 110 报警，先保护好自己。"),
    "medical": (("120",), "有人突发急病、昏迷先打 120 急救，说清村屯位置和病人情况。"),
    "missing": (("110",), "有人走失、进山没回来先打 110 报警，说清最后见到的时间、地点和穿着；不用等满 24 小时，天冷更要快。"),
    "fraud": (("110",), "正在被骗或刚转了钱，马上打 110 报警，再打银行客服申请止付；对方再要钱一分也别转。"),
    "electric": (("120", "95598"), "有人触电先拉闸断电，或用干木棍挑开电线，别直接用手拉人，再打 120；电线断落打 95598，人离远点。"),
    "poisoning": (("120",), "喝了农药、食物中毒先打 120 急救；保留药瓶和吃剩的东西，人清醒时可先漱口，别乱催吐。"
                  "要是想不开自己喝的，一直有人陪着他；心理援助热线 12356。"),
    "animal": (("110", "120"), "野兽、疯狗正在伤人先躲进屋里或车里，打 110；有人被咬伤打 120，狗咬伤要尽快打狂犬疫苗。"),
    "self_harm": (("110", "120"), "有人要轻生先打 110，已经喝药或受伤打 120；一直陪着他，别留他一个人。心理援助热线 12356。"),
    "other": (("110", "120"), "人有危险先打 110 报警，有人受伤打 120 急救。"),
}


# kind -> the list's items that say what the town does in that danger (they lead the answer
# after the emergency line, whatever else the question resembles). Ids are checked by tests.
RELATED_ITEMS: dict[str, tuple[str, ...]] = {
    "forest_fire": ("coop-027",),  # 森林草原防火
    "fire": ("coop-024",),  # 消防安全
    "flood": ("coop-029",),  # 防汛抗旱
    "water_rescue": ("returned-104",),  # 110报警服务
    "ice": ("returned-104",),
    "gas": ("coop-024",),
    "coal_gas": (),
    "collapse": ("coop-028", "coop-026"),  # 防震减灾救灾, 地质灾害防治
    "traffic": ("returned-104",),
    "fight": ("returned-104",),
    "violence": ("returned-104",),
    "medical": (),
    "missing": ("returned-104",),
    "fraud": ("returned-104", "coop-021"),  # 反诈宣传和受害线索上报
    "electric": (),
    "poisoning": (),
    "animal": ("returned-104", "coop-066"),  # 陆生野生动物保护
    "self_harm": ("returned-104",),
    "other": ("returned-104",),
}


def emergency_for(kind: str) -> Emergency:
    numbers, text = LINES.get(kind, LINES["other"])
    return Emergency(numbers, text)
