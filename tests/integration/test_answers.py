"""What people read, from the real engine: kinds of answers, emergencies, matters, typos, contacts."""
from __future__ import annotations

import shutil

import pytest

from bot.answers.emergency_lines import LINES, RELATED_ITEMS
from bot.answers.render import format_answer, to_plain
from bot.engine import ContactBook, Engine
from bot.retrieval.live import SearcherHolder


@pytest.mark.parametrize("question, item", [
    ("低保谁审批", "basic-052"),
    ("村里有人在河堤上盖棚子，归谁管？", "basic-084"),
    ("高龄津贴申请", "basic-048"),
])
def test_list_matters_are_answered_with_their_item(engine, question, item):
    answer = engine.ask(question)
    assert answer.kind == "list" and answer.matches[0].id == item
    assert to_plain(format_answer(answer)).startswith("归谁管：")


@pytest.mark.parametrize("question, referral", [
    ("家里停电了 找谁修", "ref-power-outage"),
    ("银行卡突然被冻结了", "ref-bank-card-frozen"),
    ("孩子明年上小学 去哪报名", "ref-school-enrol"),
    ("烧炕取暖咋防一氧化碳中毒", "ref-heating-safety"),  # prevention: advice, no alarm
    # Off-list matters whose office out_of_list.jsonl knew but the answer did not ("没有找到"):
    ("屯里有户人家的大黄狗老撒开跑 见人就追 谁管", "ref-dog-nuisance"),
    ("想在承包地里打眼井浇苞米 要上哪批", "ref-well-permit"),
    ("河套里有人拿电瓶电鱼 找谁举报", "ref-illegal-fishing"),
    ("小卖店想卖烟 烟草证上哪办", "ref-tobacco-license"),
    # Sound like danger, are not: no alarm, and where to go (black-box reviews).
    ("放暑假了孩子老去河里洗澡 防溺水咋安排", "ref-drowning-prevention"),
    ("河上冰面每年都有人掉下去 想立个牌子", "ref-drowning-prevention"),  # not an old well's cover
    ("俺们屯后河套那冰还没冻实诚呢 孩子们天天上去出溜 能不能给立个牌子", "ref-drowning-prevention"),
    ("厢房着过火 保险公司要火灾证明 去哪开", "ref-fire-certificate"),
])
def test_matters_outside_the_list_get_a_referral(engine, question, referral):
    answer = engine.ask(question)
    assert answer.kind == "referral" and not answer.answered and answer.emergency is None
    assert answer.referral is not None and answer.referral.id == referral
    text = to_plain(format_answer(answer))
    assert "不在卧牛河镇履职事项清单里" in text and "仅供参考" in text
    data = answer.to_json()
    assert data["kind"] == "referral" and data["referral"]["id"] == referral and data["answered"] is False


def test_related_items_say_why_they_are_offered(engine):
    """A related item that says 归市水利局 under an answer that says 镇里负责 read as a contradiction (web review)."""
    from bot.answers.texts import ALTERNATIVES_BELOW, ALTERNATIVES_NEAR

    answer = engine.ask("村里有人在河堤上盖棚子，归谁管？")
    assert answer.alternatives, "the dike item has a penalty item beside it"
    with_buttons = to_plain(format_answer(answer))
    assert ALTERNATIVES_BELOW in with_buttons and with_buttons.index("归谁管") < with_buttons.index("如果问的不是这件事")
    listed = to_plain(format_answer(answer, buttons=False))
    assert ALTERNATIVES_BELOW not in listed and "也可能相关：" in listed
    nothing = engine.ask("俺想养蜜蜂 有啥政策")  # nothing found: no "这件事" to set them against
    assert nothing.kind == "none" and nothing.alternatives
    near = to_plain(format_answer(nothing))
    assert ALTERNATIVES_NEAR in near and ALTERNATIVES_BELOW not in near


def test_several_matters_in_one_message_get_an_answer_each(engine):
    answer = engine.ask("停电了 还有自来水也不来")
    assert answer.kind == "referral" and answer.referral is not None and answer.referral.id == "ref-power-outage"
    [water] = answer.others
    assert (water.question, water.kind, water.matches[0].id) == ("自来水也不来", "list", "basic-077")
    assert answer.text == "停电了", "a vote on the first answer is about the first ask"
    assert "basic-077" not in answer.shown_ids and "basic-077" not in [m.id for m in answer.alternatives]
    text = to_plain(format_answer(answer))
    assert text.index("95598") < text.index("➕ 另外，自来水也不来：") < text.index("农村饮水保障")
    data = answer.to_json()
    assert data["kind"] == "referral" and [m["kind"] for m in data["more_matters"]] == ["list"]
    assert data["more_matters"][0]["query"] == "自来水也不来" and data["more_matters"][0]["answered"] is True


def test_a_matter_not_pinned_down_among_others_is_named_not_dropped(engine):
    question = "孩子考上大学了家里困难 能申请啥补助不 还有俺家老爷子八十多了高龄补贴咋领"
    answer = engine.ask(question)
    assert answer.matches[0].id == "basic-048" and not answer.others
    assert answer.unsure_asks == ["孩子考上大学了家里困难 能申请啥补助不"]
    assert answer.to_json()["unsure_asks"] == answer.unsure_asks
    text = to_plain(format_answer(answer))
    assert text.index("高龄津贴") < text.index("➕ 另外，孩子考上大学了家里困难") < text.index("单独发一条再问")
    for one_matter in ("低保咋申请", "俺们屯子西边那片林子有人偷着砍树 拿拖拉机往外拉 好几天了 打哪个电话"):
        plain = engine.ask(one_matter)  # "打哪个电话" asks for the number of whoever handles the logging
        assert not plain.unsure_asks and "unsure_asks" not in plain.to_json(), one_matter


@pytest.mark.parametrize("question", [
    "低保咋申请？要带啥材料？多久能批下来？",  # one matter asked three ways
    "山那边冒烟了 对了防火期能上山不",  # danger now: the emergency line and its item, alone
])
def test_one_matter_or_danger_stays_one_answer(engine, question):
    answer = engine.ask(question)
    assert not answer.others and "more_matters" not in answer.to_json()
    assert "另外" not in to_plain(format_answer(answer))


@pytest.mark.parametrize("question", ["帮我写一首关于春天的诗", "NBA总决赛谁赢了"])
def test_nothing_fits_is_said_plainly(engine, question):
    answer = engine.ask(question)
    assert answer.kind == "none" and answer.to_json()["referral"] is None
    assert "没有找到" in to_plain(format_answer(answer))


@pytest.mark.parametrize("question, first_number, kind", [
    ("俺们屯后山冒烟了 咋整啊", "119", "forest_fire"),
    ("有人掉冰窟窿里了 快来人啊", "110", "ice"),
    ("屋里一股煤气味 我妈晕倒了", "119", "gas"),
    ("早上起来俺妈叫不醒 屋里烧的炉子", "120", "coal_gas"),  # coal smoke (CO): a person to carry out, 120 first
    ("村口两台车撞了 有人流血了", "122", "traffic"),
    ("俺爹上山放羊到现在没回来 天都黑透了 电话也打不通", "110", "missing"),
    ("孩子把农药当饮料喝了 直吐", "120", "poisoning"),
    # Asked like everyday questions ("……这归谁管"): read again without the tail.
    ("后山冒烟了 这归谁管", "119", "forest_fire"),
    ("那个 嗯 领导您好 我是东屯的网格员 跟您说个事啊 我们屯老李家今年收成挺好 刚把粮卖了 "
     "结果刚才他家仓房着火了 火苗子老高 老李还在里头没出来 咋整啊", "119", "fire"),
])
def test_danger_now_puts_the_emergency_number_first(engine, searcher, question, first_number, kind):
    assert searcher.search(question).emergency == kind
    answer = engine.ask(question)
    assert answer.emergency is not None and answer.emergency.numbers[0] == first_number
    html = format_answer(answer)
    assert html.startswith("🚨") and first_number in html.splitlines()[0]
    assert answer.to_json()["emergency"]["numbers"][0] == first_number


@pytest.mark.parametrize("question, numbers", [
    ("救命 有人掉冰窟窿里了 在河套那", ("110", "119", "120")),  # the fire brigade does ice rescue
    ("村口有人拿刀砍人 血老多了", ("110", "120")),  # someone bleeding needs the ambulance too
    ("国道上两个车撞了 有人卡在车里出不来 流好多血", ("122", "120", "119")),  # the fire brigade cuts people out
])
def test_in_danger_every_number_needed_the_police_card_is_not_a_brush_off_and_nothing_to_browse(engine, question,
                                                                                              numbers):
    answer = engine.ask(question)
    assert answer.emergency is not None and answer.emergency.numbers == numbers
    text = to_plain(format_answer(answer))
    assert "镇里不再办理" not in text and "镇里不再负责" not in text and "有危险先打上面的电话" in text
    assert "归谁管：市公安局负责" in text
    assert not answer.alternatives and "也可能相关" not in text


@pytest.mark.parametrize("question", ["家里着火了 快来人", "闻到燃气味了 好像漏气了"])
def test_under_an_alarm_the_answer_names_no_part_the_town_gave_up(engine, question):
    answer = engine.ask(question)
    text = to_plain(format_answer(answer))
    assert answer.emergency is not None and text.startswith("🚨")
    assert "不再负责" not in text and "分几块" not in text  # the fire-safety matter's micro fire station


def test_under_an_alarm_a_referral_from_incidental_words_gives_way_to_the_number(engine):
    """A black-box review got 工伤认定 under 120 for a heart attack told while working in the field."""
    answer = engine.ask("喂喂那个我在地里干活呢 我们家老爷子刚才说胸口疼 现在脸都白了出汗 坐那喘不上气 俺们离镇上挺远的 这咋整啊")
    assert answer.emergency is not None and answer.emergency.numbers[0] == "120"
    assert answer.kind == "none" and answer.referral is None
    text = to_plain(format_answer(answer))
    assert "工伤" not in text and "人有危险，先打上面的电话" in text
    shock = engine.ask("有人触电了 倒地上了")  # a referral about the danger itself stays
    assert shock.emergency is not None and shock.referral is not None and shock.referral.id == "ref-ambulance"


def test_under_an_alarm_a_referral_about_the_danger_says_what_to_do_next_without_boilerplate(engine):
    """A review read "不在…清单里（急救叫救护车）…仅供参考" under 120 for a neighbour who drank pesticide as cold."""
    answer = engine.ask("快来人 邻居喝农药了")
    assert answer.emergency is not None and answer.emergency.numbers[0] == "120"
    assert answer.kind == "referral" and answer.referral is not None and answer.referral.id == "ref-ambulance"
    text = to_plain(format_answer(answer))
    assert "仅供参考" not in text and "不在卧牛河镇履职事项清单里" not in text
    assert "人有危险，先打上面的电话" in text and f"{answer.referral.name}：" in text
    assert "12356" in text, "pesticide may have been drunk on purpose: the mental-health line"
    assert "📞 120" not in text, "the number is already at the top"
    assert answer.to_json()["kind"] == "referral" and answer.to_json()["referral"]["id"] == "ref-ambulance"


def test_a_how_to_question_gets_its_part_of_the_matter_not_the_citys_other_parts(engine):
    claim = engine.ask("80岁以上的高龄补贴咋领")
    assert claim.matches[0].id == "basic-048" and claim.who == "镇里负责"
    assert "returned-009" not in [m.id for m in claim.alternatives], "追缴 is neither in the headline nor a button"
    whose = engine.ask("高龄津贴归谁管")
    assert "镇里负责" in whose.who and "市民政局" in whose.who


def test_a_penalty_clause_is_shown_for_a_violation_not_to_someone_reporting_a_service_missing(engine):
    """A review read "处罚事项：对…倾倒垃圾…的处罚" under "屯里垃圾好几天没人拉了" as aimed at the asker."""
    for missing in ("屯里垃圾好几天没人拉了", "自来水停了"):
        answer = engine.ask(missing)
        assert answer.kind == "list" and answer.matches[0].penalty, "the clause is what matched"
        assert "处罚事项" not in to_plain(format_answer(answer))
    dumping = engine.ask("有人半夜往村道边倒垃圾和粪水 臭得不行 谁管")
    assert dumping.matches[0].penalty and "处罚事项：" in to_plain(format_answer(dumping))


def test_a_cadre_is_told_where_to_report_in_the_town_not_the_counter_or_the_hotline(engine):
    """A review found a grid worker's report of a left-behind child sent to 便民服务中心 and 12345."""
    report = to_plain(format_answer(engine.ask("网格员走访发现有个留守儿童爹妈都在外地没人管，应该报给谁")))
    assert "📍 报镇里：" in report and "包村干部" in report
    assert "12345" not in report and "便民服务中心" not in report and "先问本村村委会或网格员" not in report
    both = to_plain(format_answer(engine.ask("我是村里的网格员，昨天巡查发现屯西头有户人家在院里烧秸秆，说了不听还骂人。"
                                             "这事我能罚款吗？还是得报镇里综合执法？")))
    assert "先问本村村委会或网格员" not in both and "12345" not in both, "the message's other matter too"
    villager = to_plain(format_answer(engine.ask("俺家孩子爹妈都在外地 没人管 谁管")))
    assert "📍 找镇里：" in villager and "12345" in villager


def test_whom_to_call_is_the_answering_items_office_and_the_police_are_110_not_12345(engine):
    allowance = engine.ask("俺家老爷子八十五了 高龄补贴上哪领")
    # The matter's other part (高龄津贴追缴, the city's) is not near a claimant's question: not named.
    assert allowance.matches[0].id == "basic-048" and allowance.who == "镇里负责"
    assert not [c for c in allowance.contacts if c.name == "市民政局"], "追缴 is not whom a claimant calls"
    card = engine.ask("身份证丢了 上哪补")
    text = to_plain(format_answer(card))
    assert "报案打 110，办证办事到当地派出所" in text and "12345" not in text


@pytest.mark.parametrize("question", ["防火期上山要办啥手续", "去年房子着火了 现在能申请救助吗", "燃气管道老化了想换找谁",
                                      "上个月后山着过一次火 这归谁管", "冬天烧炉子咋防煤烟中毒"])
def test_prevention_or_past_is_not_an_emergency(engine, question):
    answer = engine.ask(question)
    assert answer.emergency is None and answer.to_json()["emergency"] is None


def test_forest_fire_leads_with_the_fire_prevention_item(engine):
    answer = engine.ask("山上着火了 烟老大了")
    assert answer.emergency is not None and answer.matches[0].id == "coop-027"


def test_emergency_related_items_exist(searcher):
    assert set(LINES) == set(RELATED_ITEMS)
    for items in RELATED_ITEMS.values():
        assert all(searcher.duty(i) is not None for i in items)


@pytest.mark.parametrize("typo, item", [("底保咋申情", "basic-052"), ("高领津贴申请", "basic-048")])
def test_sound_alike_typos_find_the_item(engine, typo, item):
    answer = engine.ask(typo)
    assert answer.matches[0].id == item and answer.kind == "list"


def test_a_matter_across_lists_puts_the_town_first(engine):
    answer = engine.ask("高龄津贴")
    assert answer.matter is not None and answer.matter.name == "高龄津贴"
    assert answer.matter.items[0] == "basic-048" and "returned-009" in answer.matter.items
    assert answer.who.startswith("镇里负责") and "市民政局" in answer.who
    data = answer.to_json()
    assert data["who"] == answer.who and data["matter"]["items"][0] == "basic-048"
    assert all(len(m["short"]) <= 12 for m in data["matches"])
    assert "这件事分几块" not in to_plain(format_answer(answer)), "the 归谁管 line already names both parts"
    big = engine.ask("河道管理归谁管")  # six parts: the line names a few, the block lists them all
    assert big.matter is not None and big.matter.name == "河道管理" and "等" in big.who
    text = to_plain(format_answer(big))
    assert "河道管理这件事分几块" in text and all(p.short in text for p in big.matter.parts)
    assert big.matter.items == tuple(p.id for p in big.matter.parts), "about the whole matter: every part"
    sand = engine.ask("河道采砂谁管")  # one part of it: the others are not this question's matter
    assert sand.matter is not None and sand.matter.name == "河道管理" and sand.who == "归市水利局（镇里不再负责）"
    assert "分几块" not in to_plain(format_answer(sand)) and len(sand.matter.items) > len(sand.matter.parts)


def test_long_voice_message_finds_the_question_at_its_end(engine):
    text = ("那个 嗯 我问一下啊 领导您好 是这样的 我们屯里今年收成还行 家家户户都挺好 过年孩子们都回来了 "
            "热热闹闹的 我们屯张大爷他今年八十三了 一个人过 儿女都在外地打工 ") * 7 + "他那个高龄津贴咋还没发呢 这事找谁"
    assert len(text) > engine.holder.settings.max_question_chars
    answer = engine.ask(text)
    assert answer.note == "truncated" and "高龄津贴" in answer.text
    assert answer.matches[0].id in ("basic-048", "returned-009")  # the 高龄津贴 matter
    assert answer.matter is not None and answer.matter.items[0] == "basic-048"


BACKGROUND = "那个 嗯 领导好 是这样的 我们屯里今年收成还行 家家都挺好 张大爷八十三了 一个人过 儿女都在外地打工 "


@pytest.mark.parametrize(("ask", "kind", "target", "danger", "times"), [
    ("他那个高龄津贴咋还没发呢 这事找谁", "list", "basic-048", False, 2),
    ("银行卡被冻结了 咋整", "referral", "ref-bank-card-frozen", False, 2),
    ("河里有个孩子掉进去了 快来人啊 找谁", None, "returned-104", True, 2),
    ("河里有个孩子掉进去了 快来人啊 找谁", None, "returned-104", True, 7),  # about 390 characters
])
def test_long_message_is_answered_whole_and_danger_at_its_end_is_not_lost(engine, ask, kind, target, danger, times):
    """A long message is answered whole; a danger at the end of a long calm background about an old
    man is not diluted away by it: the emergency line and its item come first."""
    answer = engine.ask(BACKGROUND * times + ask)
    assert answer.note == "" and (answer.emergency is not None) == danger
    if danger:
        assert answer.emergency.numbers[0] == "110" and answer.matches[0].id == target
    elif kind == "referral":
        assert answer.kind == "referral" and answer.referral.id == target
    else:
        assert answer.kind == kind and answer.matches[0].id in (target, "returned-009")



def test_a_background_that_sounds_like_danger_does_not_drown_a_calm_question(engine):
    """A black-box review: a short voice message whose background (an old man alone, not seen out
    for days) reads as a missing person alone, and whose question is about his allowance, was
    answered with the 110 line and the police item, and the allowance never came."""
    text = ("那个 你好啊 俺是东屯的 俺们家老爷子今年八十三了 一个人在家 俺们都在外地打工 前两天邻居说看他好几天"
            "没出门了 俺就寻思问问 高龄津贴咋还没发呢 上哪问去")
    answer = engine.ask(text)
    assert answer.emergency is None
    answered = [answer.matches[0].id] + [o.matches[0].id for o in answer.others]
    assert "basic-048" in answered, answered

def test_discontinued_item_says_what_it_means(engine):
    text = to_plain(format_answer(engine.ask("村民要开婚姻状况证明找谁？")))
    assert "已停止办理" in text.splitlines()[0] and "不用再为此" in text


def test_contacts_show_a_filled_phone_and_pick_up_edits(index_settings, searcher, tmp_path):
    contacts = tmp_path / "contacts.tsv"
    shutil.copyfile(index_settings.contacts_file, contacts)
    engine = Engine(SearcherHolder(index_settings, searcher), ContactBook(contacts))
    before = to_plain(format_answer(engine.ask("冒领的高龄津贴谁去追缴")))
    assert "📞 市民政局：可拨 12345" in before
    lines = contacts.read_text(encoding="utf-8").splitlines()
    lines = [line.replace("市民政局\t", "市民政局\t0470-0000000", 1) if line.startswith("市民政局\t") else line
             for line in lines]
    contacts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    after = to_plain(format_answer(engine.ask("冒领的高龄津贴谁去追缴")))
    assert "📞 市民政局 0470-0000000" in after and "12345" not in after


def test_the_towns_work_says_where_to_go_until_its_number_is_filled_in(index_settings, searcher, tmp_path):
    contacts = tmp_path / "contacts.tsv"
    shutil.copyfile(index_settings.contacts_file, contacts)
    engine = Engine(SearcherHolder(index_settings, searcher), ContactBook(contacts))
    own = to_plain(format_answer(engine.ask("低保谁审批")))  # the town's own work
    assert "📍 找镇里：卧牛河镇政府（便民服务中心），也可以先问本村村委会或网格员" in own and "可拨 12345" in own
    shared = to_plain(format_answer(engine.ask("危房改造咋报名")))  # the town's part of a city department's
    assert "📍 找镇里" in shared and "工单转到镇里" not in shared
    assert shared.index("📍 找镇里") < shared.index("市住房和城乡建设局：可拨 12345")
    party = to_plain(format_answer(engine.ask("发展党员谁负责")))  # party work: not the village, not 12345
    assert "📍 找镇里：卧牛河镇政府（便民服务中心）。" in party and "村委会" not in party and "12345" not in party
    for gone in ("冒领的高龄津贴谁去追缴", "身份证丢了 上哪补"):  # taken back: the city, not the town
        assert "找镇里" not in to_plain(format_answer(engine.ask(gone)))
    assert "找镇里" not in to_plain(format_answer(engine.ask("后山着火了 烟老大了")))  # the alarm is what to do
    mediation = to_plain(format_answer(engine.ask("邻居盖仓房占了俺家宅基地 吵好几回了 谁给调解")))
    assert "📍 找镇里：卧牛河镇人民调解委员会，也可以先问本村村委会或网格员" in mediation  # its own office
    assert "📍 找镇里：卧牛河镇纪委。" in to_plain(format_answer(engine.ask("纪委举报村干部贪污 找谁")))
    two = to_plain(format_answer(engine.ask("低保咋申请 还有高龄补贴咋领")))
    assert "➕ 另外" in two and two.count("📍 找镇里") == 1, "where to go in the town is said once"

    def fill(name, phone):
        lines = [line.replace(f"{name}\t", f"{name}\t{phone}", 1) if line.startswith(f"{name}\t") else line
                 for line in contacts.read_text(encoding="utf-8").splitlines()]
        contacts.write_text("\n".join(lines) + "\n", encoding="utf-8")

    fill("卧牛河镇人民调解委员会", "0470-3333333")
    mediation = to_plain(format_answer(engine.ask("邻居盖仓房占了俺家宅基地 吵好几回了 谁给调解")))
    assert "📞 卧牛河镇人民调解委员会 0470-3333333" in mediation and "找镇里" not in mediation
    fill("卧牛河镇便民服务中心", "0470-2222222")  # only the centre's number: it stands in for the town's
    assert "📞 卧牛河镇便民服务中心 0470-2222222" in to_plain(format_answer(engine.ask("低保谁审批")))
    fill("卧牛河镇人民政府", "0470-1111111")
    for question in ("低保谁审批", "危房改造咋报名"):
        filled = to_plain(format_answer(engine.ask(question)))
        assert "📞 卧牛河镇人民政府 0470-1111111" in filled and "找镇里" not in filled, question


def test_no_invented_local_numbers_are_shipped(index_settings):
    from bot.corpus.contacts import load_contacts

    filled = [c for c in load_contacts(index_settings.contacts_file) if c.phone]
    assert filled and all(len(c.phone) <= 5 for c in filled), "only national hotlines ship with a number"
