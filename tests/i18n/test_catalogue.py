import string

import i18n


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_no_key_is_defined_twice() -> None:
    assert {k: v for k, v in i18n.SOURCES.items() if len(v) > 1} == {}


def test_both_languages_have_text_and_the_same_placeholders() -> None:
    for key, (zh, en) in i18n.CATALOGUE.items():
        assert zh.strip() and en.strip(), key
        assert _fields(zh) == _fields(en), key


def test_unknown_key_shows_itself() -> None:
    assert i18n.t("no.such.key", "zh") == "no.such.key"
