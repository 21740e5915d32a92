"""When a run of digits is a number, not a name: the units, measure words and date words that make it a
quantity, and the signs that make it part of an expression. The data behind the rule that an acronym such
as 1310 or 3+2 links only where it stands as a name (kb.matcher)."""

from __future__ import annotations

import re

# After the run: a unit, a measure word or a date word makes it a quantity: 1310万元, 1310年, 1310个, 1310%.
UNITS = (
    "%", "％", "‰",
    "万亿", "亿元", "万元", "千元", "百元", "元", "亿", "万", "千", "百", "角", "分钱",
    "年", "月", "日", "号", "时", "分钟", "秒", "天", "周", "季度", "世纪", "年代", "岁",
    "个", "项", "家", "人", "名", "位", "次", "件", "条", "所", "座", "台", "辆", "户", "套", "栋", "间", "张",
    "本", "篇", "部", "批", "期", "届", "处", "片", "块", "头", "只", "株", "棵", "类", "种", "余", "多",
    "亩", "公顷", "平方米", "平方公里", "立方米", "公里", "千米", "米", "厘米", "吨", "千克", "公斤", "克",
    "千瓦", "兆瓦", "瓦", "千伏", "伏", "度", "倍", "成", "例", "床", "班", "所", "站", "场", "层", "轮", "册",
)
# Before the run: an ordinal or an era: 第1310号, 公元1310年.
PREFIXES = ("第", "公元", "约", "近", "超")
# Next to the run: part of a larger number or an expression: 1310.5, 5.1310, 1310-2, 3+2=5, 1310/2, 2×1310
# (not a colon or a dash: “11258”：市委…, 1310——…).
_EXPRESSION = "-－–=＝/／×÷*＊~～"
# Words that start with a measure word's character but are no quantity: “3+2”产业 is a name in 3+2项目.
NOT_UNITS = (
    "部署", "部门", "部分", "部委", "项目", "个人", "个体", "人才", "人民", "人员", "人口", "人居", "家庭", "家园",
    "名单", "名称", "名录", "名牌", "位置", "次要", "条例", "条件", "所有", "所属", "处理", "处置", "台账", "户籍",
    "期间", "批准", "类别", "种植", "种养", "多元", "多样", "余额", "度假", "度过", "成果", "成效", "成为", "成立",
    "例外", "场景", "场所", "站点", "层面", "轮换", "本地", "本级", "篇章", "张家", "头部", "块状", "片区", "号召",
    "号角", "时期", "时代", "时间", "周边", "天然", "季度性", "年度", "月度", "日常", "元素", "分类", "分布", "世纪",
    "班子", "套餐", "间隔", "期货", "批次", "届时", "岁月", "千秋", "百姓", "万家", "千家", "亿万",
)
_UNIT = re.compile("|".join(sorted(map(re.escape, UNITS), key=len, reverse=True)))
_WORD = re.compile("|".join(sorted(map(re.escape, NOT_UNITS), key=len, reverse=True)))
_OPEN_QUOTES = "“‘「『\"'《"
_CLOSE_QUOTES = "”’」』\"'》"


def is_quantity(text: str, start: int, end: int) -> bool:
    """Whether the run ``text[start:end]`` (digits, perhaps with letters and +) is a number there, not a name:
    quoted (“1310”) it is always a name."""
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    if before and after and before in _OPEN_QUOTES and after in _CLOSE_QUOTES:
        return False
    if after and after in ".．" and text[end + 1:end + 2].isdigit():
        return True  # a decimal point: 1310.5
    if before and before in ".．" and start >= 2 and text[start - 2].isdigit():
        return True  # 5.1310
    if (after and after in _EXPRESSION) or (before and before in _EXPRESSION):
        return True
    unit = _UNIT.match(text, end)
    if unit and not _WORD.match(text, end):
        return True
    return any(text.endswith(prefix, 0, start) for prefix in PREFIXES)
