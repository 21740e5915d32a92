"""What a web page or a PDF adds to a report: toolbars, site meta lines, footers, extraction debris."""

from __future__ import annotations

import re

from kb.ingest.lines import Line
from kb.ingest.text import compact

# Lines that stand on their own anywhere: buttons, hash ids, a site's meta data ("时间：2024-04-02 作者：…").
_CLUTTER = re.compile(
    r"^(下载|打印|全屏|收藏|分享[:：]?|打印本页|关闭窗口|返回顶部|【?纠错】?|[0-9a-f]{32}:?|来源[:：].*|"
    r"时间[:：].*|发布时间[:：].*|浏览次数[:：].*|作者[:：].*|编辑[:：].*|阅读[:：]?\d*|评论[:：]?\d*|点击[:：]?\d*|"
    r"【?字号?[:：]?[大中小\s]*】?|[大中小]|默认|【?(?:字体|字号)[:：].*】?)$"
)
# The site names of a share toolbar ("分享到：QQ空间 新浪微博 …"), on lines of their own or glued together.
_SHARE_TARGETS = (r"QQ空间|QQ好友|QQ|新浪微博|腾讯微博|微博|微信|朋友圈|人人网|开心网|百度空间|百度贴吧|"
                  r"和讯|天涯社区|豆瓣网?|网易微博|搜狐微博|更多")
_SHARE_LINE = re.compile(rf"^(?:{_SHARE_TARGETS})+$")
_TOOLBAR_OPEN = re.compile(r"^【(字体|字号)[:：]")
# "内容摘要：" and the site's excerpt that follows it ("政府工作报告—2024年1月23日在…开局......").
_SUMMARY = re.compile(r"^内容摘要[:：]?")
_EXCERPT_END = re.compile(r"(\.{3,}|…+)$")
# What ends the report's text: colophons, the page's footer, and everything after them.
_END = re.compile(
    r"^(责任编辑|扫一扫|相关链接|相关附件|相关阅读|相关新闻|相关报道|相关稿件|相关文章|原文链接|上一篇|下一篇|网站地图|主办单位|"
    r"免责声明|标签[:：]|本栏推荐|本栏最新|阅读排行|标签云|分享到)"
)
_COLOPHON = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日印发?$")  # "区九届人大四次会议秘书处 2024年1月30日印"
# A footer glued to the end of the last line: "…100%覆盖。分享到：QQ空间新浪微博…", "…。（责任编辑：王五）".
_FOOTER_INLINE = re.compile(r"分享到[:：]|免责声明[:：]|[（(]?责任编辑[:：]|标签[:：]|上一篇[:：]|下一篇[:：]")



def drop_clutter(lines: list[Line]) -> list[Line]:
    """The lines without toolbars, share buttons, site meta lines and the site's excerpt of the report."""
    kept: list[Line] = []
    in_toolbar = 0
    sharing = False
    after_summary = False
    for line in lines:
        key = compact(line.text)
        if not key:
            kept.append(line)
            continue
        if in_toolbar:
            in_toolbar = 0 if key.endswith("】") or in_toolbar > 8 else in_toolbar + 1
            continue
        if _TOOLBAR_OPEN.match(key):  # "【字体：大 中 小】 打印本页", or "【字体：" with 大, 中, 小, "】" below
            in_toolbar = 0 if "】" in key else 1
            continue
        if after_summary:
            after_summary = False
            if _EXCERPT_END.search(key):
                continue
        if _SUMMARY.match(key):
            rest = _SUMMARY.sub("", key)
            after_summary = not rest
            if not rest or _EXCERPT_END.search(rest):
                continue
        if sharing and _SHARE_LINE.match(key):
            continue
        # a share button in the page ("分享：" then "微信", "微博"); "分享到：" opens the footer (see _END)
        sharing = _CLUTTER.match(key) is not None and key.startswith("分享")
        if _CLUTTER.match(key):
            continue
        kept.append(line)
    return kept


def footer_at(text: str, key: str | None = None) -> int | None:
    """Where the page's footer starts in a line of the body (0: the whole line is footer), if it does;
    ``key`` is the line without its whitespace, if the caller has it."""
    key = compact(text) if key is None else key
    if _END.match(key) or (key.endswith(("印", "印发")) and _COLOPHON.search(key)):
        return 0
    if not ("分享到" in text or "免责声明" in text or "责任编辑" in text or "标签" in text or "一篇" in text):
        return None  # a few substring tests (in C) are much faster than the regex on every line
    match = _FOOTER_INLINE.search(text)
    return None if match is None else match.start()


def is_debris(line: Line, seen: list[str]) -> bool:
    """A tab-indented line that repeats text already seen (PDF extraction debris after the end)."""
    if not line.text.lstrip(" ").startswith("\t"):
        return False
    probe = compact(line.text)[:12]
    return len(probe) >= 4 and probe in "".join(seen)
