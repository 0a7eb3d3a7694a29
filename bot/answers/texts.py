"""What the bot says besides answer cards, in one place so the wording can be reviewed.

All of it is Telegram HTML written by us; anything from users or the corpus is escaped
where it is filled in.
"""
from __future__ import annotations

# Shown as buttons under /start; each asks the question when tapped.
EXAMPLE_QUESTIONS = (
    "村里有人在河堤上盖棚子，归谁管？",
    "防汛抗旱镇里要干什么？",
    "收割机安全检查还归镇里管吗？",
)

# (command, description) for setMyCommands; the admin commands are left out of the menu.
COMMANDS = (
    ("start", "开始使用，看示例问题"),
    ("help", "怎么提问、回答怎么看"),
    ("list", "按清单和类别浏览全部事项"),
)

START = (
    "👋 您好！我是<b>职责通</b>，帮卧牛河镇和各村的同志查一件事归谁管。\n\n"
    "直接发一句话说说遇到的事，我对照镇里的履职事项清单告诉您：\n"
    "• 这件事是本镇负责、上级部门牵头本镇配合，还是已经收回上级部门\n"
    "• 牵头的部门是谁，本镇要做什么\n"
    "• 已收回的事现在该去找谁\n\n"
    "点下面的示例问题试试，或发送 /list 按类别浏览。"
)

HELP = (
    "<b>怎么问</b>\n"
    "直接发文字，说清是什么事、涉及谁、在哪里，例如：\n"
    "• 村里有人在河堤上盖棚子，归谁管？\n"
    "• 村民想申请低保，找谁办？\n\n"
    "<b>回答怎么看</b>\n"
    "🟢 基本履职事项：本镇负责\n"
    "🟡 配合履职事项：上级部门牵头、本镇配合\n"
    "🔵 上级部门收回事项：本镇不再负责，并告诉您现在找谁\n"
    "点“📄 详情”看事项全文；下方其他按钮是相近的事项。\n"
    "答得对就点 👍，不对就点 👎 并选出正确的事项，帮我们改进。\n\n"
    "<b>命令</b>\n"
    "/list 按清单和类别浏览全部事项\n"
    "/help 显示本说明\n\n"
    "在群里使用时，请 @我 或回复我的消息。问题超过 {max_chars} 个字时，只按最后提问的那部分查找。"
)
HELP_ADMIN = (
    "\n\n<b>管理员</b>\n"
    "/stats 使用统计：提问次数、找到率、问得最多的事项、👎 比例\n"
    "/unanswered 近期没找到或被点 👎 的问题\n"
    "/reload 重新加载（必要时重建）事项索引"
)

ASK_FOR_TEXT = "我只能看懂文字。请直接打字说说您要问的事，例如：“村里有人在河堤上盖棚子，归谁管？”"
ASK_FOR_QUESTION = "请用文字说说您要问的事，例如：“村里有人在河堤上盖棚子，归谁管？”"
UNKNOWN_COMMAND = "没有这个命令。直接发文字提问就行，或发送 /help 查看说明。"
REFUSED = (
    "抱歉，职责通只供卧牛河镇和各村的工作人员使用，您的账号还没有开通。"
    "如需使用，请把您的用户编号 <code>{user_id}</code> 发给管理员。"
)
REFUSED_SHORT = "抱歉，您的账号还没有开通职责通。"
RATE_LIMITED = "您发得有点快，请过 {seconds} 秒再试。（每人每分钟最多 {limit} 条消息或按键）"
APOLOGY = "抱歉，刚才处理时出了点问题，请稍后再试一次。"
STALE_BUTTON = "这个按钮已失效，请重新提问或发送 /list。"
NOT_STARTED = "系统正在启动，请稍后再问。"

ADMIN_ONLY = "只有管理员可以使用 {command}。"
RELOADING = "正在重新加载事项索引，请稍候…"
RELOADED = "✅ 已切换到新索引：共 {items} 项，构建于 {built_at}（编号 {build_id}）。"
RELOAD_UNCHANGED = "索引没有变化，仍在使用编号 {build_id}（共 {items} 项，构建于 {built_at}）。"
RELOAD_FAILED = "❌ 重新加载失败，仍在使用原来的索引。原因：{reason}"

LIST_PICK = "<b>按清单浏览</b>\n请选择清单："
CATEGORY_PICK = "<b>{badge}</b>\n请选择类别："
CATEGORY_PAGE = "<b>{badge} · {category}</b>\n共 {count} 项，第 {page}/{pages} 页。点事项查看："
BUTTON_BACK = "« 返回"
BUTTON_PREV = "« 上一页"
BUTTON_NEXT = "下一页 »"
BUTTON_DETAIL = "📄 详情"
BUTTON_DETAIL_OF = "📄 详情：{short}"  # the item of another matter the same message raised

# Feedback under answers (👍 / 👎, then which item was right).
BUTTON_UP = "👍 有用"
BUTTON_DOWN = "👎 不对"
BUTTON_NONE_RIGHT = "都不对"
BUTTON_BROWSE = "📚 按类别浏览清单"
THANKS_UP = "谢谢！已记下这个回答有用。"
PICK_RIGHT = "抱歉没答准。刚才列出的事项里，哪一项才是您要找的？请点下面的按钮；都不是就点“都不对”。"
THANKS_FIX = "谢谢，已记录！"
FIXED = "✅ 已记录：您要找的是“{title}”，下面是这一项。谢谢！管理员审核后，以后这样问就能直接答对。"
FIXED_NONE = ("✅ 已记录：列出的事项都不对，谢谢！可以这样继续：\n"
              "• 换个说法再问一次，说清是什么事、涉及谁、在哪里；\n"
              "• 点下面的按钮按类别浏览清单（或发送 /list）；\n"
              "• 拿不准找哪个部门，拨打 12345 政务服务便民热线问询。")
THANKS_DOWN = "收到，请在下面选出正确的事项。"
FEEDBACK_NOT_YOURS = "只有提问的人可以评价这个回答。"
FEEDBACK_LOST = "抱歉，这个回答的记录已找不到，反馈没能记下。"

LOG_UNAVAILABLE = "提问记录现在不可用（详见运行日志），暂时没有统计。"
ADMIN_PRIVATE_ONLY = "{command} 会列出别人的提问，请在和我的私聊里使用。"
RELOAD_CORPUS_FAILED = "❌ 清单文件有错误，索引没有重建，仍在使用原来的索引（编号 {build_id}）。\n错误：{reason}\n改好后再发 /reload。"
STARTUP_CORPUS_PROBLEM = "⚠️ 启动时发现清单文件有错误，机器人仍按上次的索引回答（编号 {build_id}）。\n错误：{reason}\n改好后发送 /reload。"
UNDELIVERED_APOLOGY = "抱歉，刚才网络不通，有一条回答没能发出。请再发一次您的问题。"

# Small talk gets a hint, not a search (and no 👍/👎).
SMALL_TALK = (
    "你好", "您好", "在吗", "在不在", "谢谢", "多谢", "谢了", "好的", "好", "嗯", "嗯嗯", "收到", "知道了",
    "ok", "好嘞", "行", "明白了", "辛苦了", "再见", "拜拜", "哈哈", "早上好", "晚上好", "晚安", "hi", "hello",
    "谢谢你", "谢谢您", "谢谢你们", "感谢", "麻烦了", "辛苦", "明白", "懂了", "中午好", "下午好", "在么", "在嘛", "嗨",
    "哦", "bye", "有人吗", "有人没", "有人没有", "问个事", "问个事儿", "问一下", "请问", "打扰了", "我想问个事", "我问个事",
    "想问个事", "领导好", "你好领导", "领导你好", "领导", "有人在吗", "我想问一下", "想问一下", "谢谢领导", "收到领导",
)
SMALL_TALK_REPLY = "不客气！有事直接打字问我，例如：“村里有人在河堤上盖棚子，归谁管？”"
SMALL_TALK_GREETING_REPLY = "在的！有事直接打字问我，例如：“村里有人在河堤上盖棚子，归谁管？”"
SMALL_TALK_OK_REPLY = "好的！有事随时打字问我，例如：“村里有人在河堤上盖棚子，归谁管？”"

# ==================================================================================
# Web page (bot/channels/web): the phone page for staff who cannot reach Telegram.
# Same HTML rules as above (our own tags only: <b>, <i>, <code>, plus <a> where marked);
# page chrome (buttons, placeholders) is plain text and is escaped where it is filled in.
# ==================================================================================
WEB_TITLE = "职责通 · 卧牛河镇履职事项查询"
WEB_BRAND = "职责通"
WEB_TAGLINE = "卧牛河镇 · 这件事归谁管"
WEB_PLACEHOLDER = "打一句话，说说遇到的事"
WEB_ASK_BUTTON = "查询"
WEB_LOADING = "正在查找…"
WEB_NETWORK_ERROR = "网络不通，没能查到。请检查网络后再试一次。"
WEB_INTRO = (
    "您好！这里帮卧牛河镇和各村的同志查一件事<b>归谁管</b>。\n"
    "在上面的框里打一句话说说遇到的事，对照镇里的履职事项清单告诉您：\n"
    "🟢 <b>基本履职事项</b>：本镇负责，本镇要做什么\n"
    "🟡 <b>配合履职事项</b>：上级部门牵头、本镇配合\n"
    "🔵 <b>上级部门收回事项</b>：本镇不再负责，现在找谁"
)
WEB_EXAMPLES = "试试这些问题："
WEB_ASKED = "问：{question}"
WEB_FEEDBACK_PROMPT = "这个回答对吗？"
WEB_BROWSE_LINK = "📚 按类别浏览清单"
WEB_HOME_LINK = "🔍 重新提问"
WEB_HINT_FOOTER = "答得对就点 👍，不对就点 👎 并选出正确的事项，帮我们改进。有危险先打 110 / 119 / 120。"
WEB_CATEGORY_ITEMS = "<b>{badge} · {category}</b>\n共 {count} 项，点事项查看："
WEB_BACK_TO_LISTS = "« 全部清单"
WEB_BACK_TO_CATEGORIES = "« {list_name}的类别"
WEB_BACK_TO_CATEGORY = "« {category}"
WEB_ITEM_COUNT = "（{count}项）"
# After "都不对": the same three ways on as in Telegram, as links (<a> written by us).
WEB_FIXED_NONE = ("✅ 已记录：列出的事项都不对，谢谢！可以这样继续：\n"
                  "• <a href=\"/\" data-nav>换个说法再问一次</a>，说清是什么事、涉及谁、在哪里；\n"
                  "• <a href=\"/lists\" data-nav>按类别浏览清单</a>；\n"
                  "• 拿不准找哪个部门，拨打 <a href=\"tel:12345\">12345</a> 政务服务便民热线问询。")
WEB_NOT_FOUND = "没有这个页面，或者清单已经更新、这个事项不在了。请重新提问，或按类别浏览清单。"
WEB_NEED_KEY = ("请从镇里微信工作群置顶的链接打开职责通。\n"
                "这个页面只供卧牛河镇和各村的工作人员使用，链接里带有访问密钥；"
                "如果链接打不开，请找镇里管理员要新的链接。")
WEB_NEED_ADMIN_KEY = "这是管理员页面，请用带管理员密钥的链接打开。"
WEB_ADMIN_DISABLED = "管理员页面没有开启（服务器上没有设置 WEB_ADMIN_KEY）。"
WEB_RATE_LIMITED = "您查得有点快，请过 {seconds} 秒再试。（每人每分钟最多 {limit} 次提问或评价）"
WEB_TOO_LONG = "问题太长了。请只写要问的那件事，{max_chars} 个字以内就够了。"
WEB_BODY_TOO_LARGE = "提交的内容太大，没有处理。"
WEB_BAD_TOP = "top 要是 1 到 {max_top} 之间的整数。"
WEB_BAD_FEEDBACK = "评价没能记下：{reason}"
WEB_BAD_FEEDBACK_FORMAT = "请用表单或 JSON 对象提交"
WEB_BAD_FEEDBACK_TOKEN = "缺少回答编号，或编号不对"
WEB_BAD_FEEDBACK_ONE = "vote（up 或 down）和 item（事项编号或 none）要有且只有一个"
WEB_BAD_FEEDBACK_VOTE = "vote 只能是 up 或 down"
WEB_BAD_FEEDBACK_ITEM = "item 要是这个回答列出的事项编号，或 none"
WEB_BAD_FEEDBACK_FIELD = "不认识的字段：{fields}"
WEB_ADMIN_TITLE = "管理员：使用统计"
WEB_ADMIN_PROBLEMS = "没找到或被点 👎 的问题"
WEB_SERVER_ERROR = "抱歉，刚才处理时出了点问题，请稍后再试一次。"
# Where a not-found answer says how to browse (Telegram: "发送 /list 按类别浏览清单").
WEB_BROWSE_HINT = "点下方的“📚 按类别浏览清单”"
WEB_BAD_METHOD = "不支持这种请求方式。"
WEB_WRONG_KEYS = "访问密钥错了太多次，请过 {seconds} 秒再试，或找镇里管理员要新的链接。"

# Where to go for the town's own work (or its part of a city department's) while the admins have not
# filled in the town's number: the town government (its 便民服务中心, basic-107), the village first for
# villagers' matters, and for the town's own work the hotline whose tickets the town takes (basic-109).
TOWN_WALK_IN = "📍 找镇里：{place}{village}{hotline}"
TOWN_PLACE = "卧牛河镇政府（便民服务中心）"  # where an item names no town office of its own
TOWN_VILLAGE = "，也可以先问本村村委会或网格员"
TOWN_HOTLINE = "；也可拨 {number} 政务服务便民热线反映，工单转到镇里办。"
# For a cadre or grid worker: where to report in the town (the place: an office the item names, else the government).
TOWN_FOR_CADRES = "📍 报镇里：{place}，或本村的包村干部。"
TOWN_FOR_CADRES_PLACE = "卧牛河镇政府管这项工作的办、站、所"

# Under an answer with alternatives that are buttons (Telegram) or links (the web page): why they are there, so a
# related item's "归市水利局" under an answer that says "镇里负责" does not read as a contradiction (web review).
ALTERNATIVES_BELOW = "如果问的不是这件事，下方按钮里的事项也可能相关，点开看归谁管。"
# The same under "not found": no matter was named, so the items are only near it.
ALTERNATIVES_NEAR = "下方按钮里的事项可能相关，点开看归谁管。"

# Under a message that raised several matters, for an ask that could not be pinned down among them.
UNSURE_ASK = "这一句没能确定是哪件事。如果要问的是另一件事，请说具体些（什么事、在哪儿、涉及谁），单独发一条再问。"

# Under the alarm, where the list has no item for the danger itself (an ambulance, a scam in progress).
DANGER_NOT_ON_LIST = "卧牛河镇履职事项清单里没有专门的事项。人有危险，先打上面的电话。"
