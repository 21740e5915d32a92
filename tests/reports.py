"""Small reports written for the tests, shared by the test modules that serve them."""

from __future__ import annotations

# A report whose glossary has a headword with "/" in it and an acronym with "+".
MINI = """2025年某某区政府工作报告
——2025年1月10日在某某区人民代表大会上
各位代表：
一、2024年工作回顾
过去一年，我们深入实施“百千万工程”［1］，推进“上/下”联动［2］，落实“3+2”产业集群［3］部署。
二、2025年工作安排
继续推进百千万工程和“上/下”联动，壮大“3+2”产业集群，推动13+2项目落地。
名词解释
1.百千万工程：全称“百县千镇万村高质量发展工程”，“百”指县，“千”指镇，“万”指村。
2.“上/下”联动：指省、市、县上下协同推进重点工作的机制。
3.“3+2”产业集群：指以智能家居、汽车零部件、新材料为主导产业的产业体系。
"""
MINI_ID = "mini-2025"
# A term no report uses: it appears only once the corpus changes.
NEW_TERM = "青禾智链"
MINI_CHANGED = MINI.replace("“百”指县", "“百”指区县").replace(
    "推动13+2项目落地。", f"推动13+2项目落地，打造{NEW_TERM}示范区［4］。"
) + f"4.{NEW_TERM}：指依托数字平台建设的农业产业链协同示范项目。\n"
