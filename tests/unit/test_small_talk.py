"""Small talk is only greetings and thanks; anything with a matter in it is searched."""
import pytest

from bot.answers.small_talk import is_small_talk


@pytest.mark.parametrize("text", ["你好", "谢谢！", "你好，在吗？", "您好 在不在啊", "好的谢谢", "嗯嗯 收到 辛苦了", "Hello!", "哈哈哈",
                                  "谢谢你", "谢谢了", "感谢", "下午好", "在么", "明白了", "好滴", "OK了"])
def test_greetings_and_thanks_are_small_talk(text):
    assert is_small_talk(text)


@pytest.mark.parametrize("text", ["", "  ", "？", "你好，低保咋申请", "在吗 河堤上盖棚子归谁管", "好人好事", "谢谢你们上次帮忙，这回又有个事",
                                  "行政审批", "收到罚单", "收到法院传票怎么办", "晚上好吵", "在哪办", "你好低保", "好的房子",
                                  "谢谢村里", "明白了吗", "再见义勇为", "感谢信怎么写"])
def test_a_message_with_a_matter_in_it_is_not(text):
    assert not is_small_talk(text)
