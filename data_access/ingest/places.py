"""What a row's label says: a place of the sheet (by code or by name as offices write it), the
county's own total, or a statistical-report footer.

Names are looked up as written, then without 镇/乡/街道, then without brackets, then by the place
name they contain ("北山乡卫生院", "和安县北山乡"); a text naming two places is ambiguous, never
guessed."""
from __future__ import annotations

import re
from typing import Iterable

from data_access.ingest.spec import Entity, norm, place_keys

TOTAL_WORDS = ("合计", "总计", "小计", "共计", "累计", "汇总", "全县", "全区", "全市", "全镇", "全乡", "本县",
               "平均", "均值", "total")
FOOTER_PREFIXES = ("填表人", "填报人", "审核人", "审核", "复核", "负责人", "单位负责人", "统计负责人", "主要负责人",
                   "分管领导", "制表人", "制表", "报出日期", "报送日期", "填报日期", "填表日期", "制表日期", "联系电话",
                   "电话", "联系人", "注:", "注1", "注一", "附注", "说明", "备注", "填报单位", "报送单位", "数据来源",
                   "签字", "盖章", "(盖章)")
# Any "…人：", "…日期：", "…时间：": a footer field (统计人：, 报送时间：); a place's name has no colon.
_FOOTER_RE = re.compile(r"(人|日期|时间|电话|手机|单位|盖章|签字|签名)[:]")
_BRACKETS = re.compile(r"[\(\[【][^\)\]】]*[\)\]】]")
_LONGEST_NAME = 40
# A place inside a longer name is that place (北山乡卫生院, 和安县北山乡) -- unless what follows makes it
# a smaller place of it (北山乡张家村, 城关镇幸福社区): never file a village's figure as its township's.
_SMALLER_PLACE = ("村", "社区", "组", "小区", "屯", "队")
_ITS_OFFICE = ("村民委员会", "居民委员会", "村委会", "居委会", "委员会")   # 张家村村委会 is 张家村
_CONTAINED_MAX = 2000   # name searches by containment per sheet: a sheet of unknown names stays fast


def is_footer(text: str) -> bool:
    """单位负责人：张三 统计负责人：… 制表人：… 报出日期：… 注：…"""
    n = norm(text)
    return bool(n) and (n.startswith(FOOTER_PREFIXES) or bool(_FOOTER_RE.search(n)))


class EntityIndex:
    """The sheet's places by code and by every spelling of their names."""

    def __init__(self, entities: list[Entity], totals: Iterable[str] = ()) -> None:
        self.entities = entities
        self.by_code = {e.code: e for e in entities} | {norm(e.code): e for e in entities}
        self._by_name: dict[str, list[Entity]] | None = None
        self.totals = {k for name in totals for k in place_keys(name)}
        self._contained_calls = 0

    @property
    def by_name(self) -> dict[str, list[Entity]]:
        """Names and aliases, built only when a row has no usable code or a name differs."""
        if self._by_name is None:
            self._by_name = {}
            for e in self.entities:
                keys = set(place_keys(e.name_zh)) | {norm(e.name_en)}
                for alias in e.aliases:
                    keys |= place_keys(alias)
                for k in keys:
                    if k:
                        bucket = self._by_name.setdefault(k, [])
                        if e not in bucket:
                            bucket.append(e)
        return self._by_name

    def code(self, text: str) -> Entity | None:
        """A code as written, or a 12-digit statistical code of a 9-digit one (990101001000)."""
        found = self.by_code.get(text) or self.by_code.get(norm(text))
        if found is None:
            n = norm(text)
            if n.endswith(".0") and n[:-2].isdigit():  # a code typed as a number, saved as text
                n = n[:-2]
                found = self.by_code.get(n)
            while n.isdigit() and n.endswith("000") and len(n) > 6:
                n = n[:-3]
                found = self.by_code.get(n)
                if found is not None:
                    break
        return found

    def find(self, text: str) -> list[Entity]:
        """The places a name may mean: one, none, or several (ambiguous)."""
        n = norm(text)
        if not n:
            return []
        for candidate in (n, _BRACKETS.sub("", n).strip("*:")):
            if not candidate:
                continue
            found = self.by_name.get(candidate)
            if found:
                return found
            for k in place_keys(candidate):
                if k in self.by_name:
                    return self.by_name[k]
        return self._contained(_BRACKETS.sub("", n) or n)

    def _contained(self, n: str) -> list[Entity]:
        """Places whose name the text contains ("北山乡卫生院"); the longest spans win, so "北山乡"
        is not also read as "北山"."""
        self._contained_calls += 1
        if len(n) > _LONGEST_NAME or self._contained_calls > _CONTAINED_MAX:
            return []
        spans: list[tuple[int, int, list[Entity]]] = []
        for i in range(len(n)):
            for j in range(i + 2, len(n) + 1):
                found = self.by_name.get(n[i:j])
                if found:
                    spans.append((i, j, found))
        rest = n[max(j for _, j, _ in spans):] if spans else ""
        for office in _ITS_OFFICE:
            if rest.endswith(office):
                rest = rest[:-len(office)]
                break
        if len(rest) >= 2 and rest.endswith(_SMALLER_PLACE):
            return []
        kept = [s for s in spans if not any(o[0] <= s[0] and s[1] <= o[1] and (o[1] - o[0]) > (s[1] - s[0])
                                            for o in spans)]
        out: list[Entity] = []
        for _, _, found in kept:
            for e in found:
                if e not in out:
                    out.append(e)
        return out

    def is_total(self, text: str) -> bool:
        """合计 / 全县 / the county's own name (和安县, 和安县合计): the sum, which the platform makes itself."""
        n = norm(text)
        if not n:
            return False
        if any(w in n for w in TOTAL_WORDS):
            return True
        bare = _BRACKETS.sub("", n)
        return bare in self.totals or bool(place_keys(bare) & self.totals)
