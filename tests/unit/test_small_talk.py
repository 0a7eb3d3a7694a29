"""Small talk is only greetings and thanks; anything with a matter in it is searched."""
import pytest

from bot.answers import texts
from bot.answers.answer import Answer, ContactLine, Emergency
from bot.answers.render import format_answer, to_plain
from bot.answers.small_talk import is_small_talk, small_talk_reply


@pytest.mark.parametrize("text", ["你好", "谢谢！", "你好，在吗？", "您好 在不在啊", "好的谢谢", "嗯嗯 收到 辛苦了", "Hello!", "哈哈哈",
                                  "谢谢你", "谢谢了", "感谢", "下午好", "在么", "明白了", "好滴", "OK了",
                                  "有人没 问个事", "你好 我想问个事", "请问", "领导你好 问个事", "我想问一下", "有人在吗",
                                  "谢谢领导", "收到领导"])
def test_greetings_and_thanks_are_small_talk(text):
    assert is_small_talk(text)


@pytest.mark.parametrize("text", ["", "  ", "？", "你好，低保咋申请", "在吗 河堤上盖棚子归谁管", "好人好事", "谢谢你们上次帮忙，这回又有个事",
                                  "行政审批", "收到罚单", "收到法院传票怎么办", "晚上好吵", "在哪办", "你好低保", "好的房子",
                                  "谢谢村里", "明白了吗", "再见义勇为", "感谢信怎么写"])
def test_a_message_with_a_matter_in_it_is_not(text):
    assert not is_small_talk(text)


@pytest.mark.parametrize(("text", "reply"), [
    ("谢谢啊", texts.SMALL_TALK_REPLY), ("谢谢领导", texts.SMALL_TALK_REPLY), ("早上好 辛苦了", texts.SMALL_TALK_REPLY),
    ("有人没 问个事", texts.SMALL_TALK_GREETING_REPLY), ("你好", texts.SMALL_TALK_GREETING_REPLY),
    ("你好 麻烦了 我想问个事", texts.SMALL_TALK_GREETING_REPLY), ("领导", texts.SMALL_TALK_GREETING_REPLY),
    ("好的 收到", texts.SMALL_TALK_OK_REPLY), ("知道了", texts.SMALL_TALK_OK_REPLY), ("再见", texts.SMALL_TALK_OK_REPLY),
    ("嗯", texts.SMALL_TALK_OK_REPLY), ("好", texts.SMALL_TALK_OK_REPLY),
])
def test_the_hint_fits_what_was_said(text, reply):
    """"在的" to someone about to ask, "不客气" to thanks, "好的" to an acknowledgement."""
    assert is_small_talk(text) and small_talk_reply(text) == reply


def test_in_danger_no_advice_to_ask_again_and_no_second_hotline():
    """With an emergency line, "not found" does not tell the asker to rephrase, and an office
    without a recorded phone does not add 12345 under 110."""
    danger = Emergency(("120",), "误服农药先打 120 急救。")
    nothing = to_plain(format_answer(Answer("有人喝药了", "有人喝药了", "none", emergency=danger), buttons=False))
    assert nothing.startswith("🚨") and "换个说法" not in nothing and "先打上面的电话" in nothing
    calm = to_plain(format_answer(Answer("农药咋管", "农药咋管", "none"), buttons=False))
    assert "换个说法" in calm
    office = [ContactLine("市公安局", "", "12345")]
    with_line = Answer("q", "q", "none", contacts=office)
    from bot.answers.render import _contact_lines
    assert "12345" in " ".join(_contact_lines(with_line))
    assert _contact_lines(Answer("q", "q", "none", contacts=office, emergency=danger)) == []
