"""Front matter (SPEC §5): what an article's header may say, and how a mistake is named:
the file, the line of the key, and what was expected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from mirrorpub.content import frontmatter
from mirrorpub.errors import ContentError
from tests.sitekit import case_id

FILE = "content/news/a.md"



def source(*front: str, body: str = "Body.\n") -> str:
    return "---\n" + "".join(f"{line}\n" for line in front) + "---\n" + body


def read(*front: str, body: str = "Body.\n") -> frontmatter.SourceText:
    return frontmatter.split(FILE, source(*front, body=body))


def problem(text: str) -> tuple[int | None, str]:
    with pytest.raises(ContentError) as caught:
        frontmatter.split(FILE, text)
    assert caught.value.file == FILE
    return caught.value.line, caught.value.message


def test_a_full_header_is_read_into_its_fields() -> None:
    got = read('title: "  Выборы в Кыргызстане "', "date: 2026-11-25T12:30:00+06:00",
               "slug: elections-2026", "author: Desk", "tags: [politics, kyrgyzstan, politics]",
               "lang: ky", "summary: What happened.", "draft: true",
               "updated: 2026-11-26", "allow_external: true",
               body="# Head\n\nText.\n")
    front = got.front
    assert front.title == "Выборы в Кыргызстане"
    assert front.date == datetime(2026, 11, 25, 12, 30, tzinfo=timezone(timedelta(hours=6)))
    assert (front.slug, front.author, front.lang, front.summary) == (
        "elections-2026", "Desk", "ky", "What happened.")
    assert front.tags == ("politics", "kyrgyzstan")  # once each, in the order written
    assert front.draft is True and front.allow_external is True
    assert front.updated == datetime(2026, 11, 26, tzinfo=UTC)
    assert got.body == "# Head\n\nText.\n"
    assert got.body_line == 13  # 12 lines of header, fences included


def test_what_is_left_out_takes_its_default() -> None:
    front = read("title: T", "date: 2026-11-25").front
    assert front.date == datetime(2026, 11, 25, tzinfo=UTC)
    assert (front.slug, front.author, front.lang, front.summary, front.updated) == \
        (None, None, None, None, None)
    assert front.tags == () and front.draft is False and front.allow_external is False


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-11-25T12:30:00", datetime(2026, 11, 25, 12, 30, tzinfo=UTC)),  # no offset: UTC
    ('"2026-11-25T12:30:00+06:00"', datetime(2026, 11, 25, 6, 30, tzinfo=UTC)),
    ('" 2026-11-25 "', datetime(2026, 11, 25, tzinfo=UTC)),
    ("2026-11-25 12:30:00Z", datetime(2026, 11, 25, 12, 30, tzinfo=UTC)),
], ids=case_id)
def test_dates_are_read_in_every_iso_shape_and_never_in_the_machines_zone(
        value: str, expected: datetime) -> None:
    date = read("title: T", f"date: {value}").front.date
    assert date == expected and date.tzinfo is not None


def test_a_single_tag_may_be_written_as_text() -> None:
    assert read("title: T", "date: 2026-11-25", "tags: ' press '").front.tags == ("press",)


def test_the_body_and_its_first_line_are_found_without_reading_the_header_again() -> None:
    text = source("title: T", "date: 2026-11-25", body="Line one.\nLine two.\n")
    assert frontmatter.body_of(FILE, text) == ("Line one.\nLine two.\n", 5)
    assert frontmatter.key_line(FILE, text, "date") == 3
    assert frontmatter.key_line(FILE, text, "tags") == 2  # not there: the header's start


def test_reading_the_body_again_names_the_file_when_the_header_is_gone() -> None:
    for read_again in (frontmatter.body_of, lambda f, t: frontmatter.key_line(f, t, "date")):
        with pytest.raises(ContentError) as caught:
            read_again(FILE, "no header\n")
        assert (caught.value.file, caught.value.line) == (FILE, 1)


def test_fences_may_carry_trailing_spaces_and_windows_line_ends() -> None:
    got = frontmatter.split(FILE, "--- \r\ntitle: T\r\ndate: 2026-11-25\r\n---\t\r\nBody\r\n")
    assert got.front.title == "T"
    assert got.body == "Body\r\n" and got.body_line == 5


@pytest.mark.parametrize(("text", "line", "words"), [
    ("", 1, "must start with front matter"),
    ("title: T\n---\n", 1, "must start with front matter"),
    ("----\ntitle: T\n---\n", 1, "must start with front matter"),
    ("---\ntitle: T\ndate: 2026-11-25\n", 1, "front matter is not closed"),
    (source("- a list", "- not keys"), 2, "front matter must be 'key: value' lines"),
    (source(), 2, "front matter must be 'key: value' lines"),
    (source("title: T", "titel: U", "date: 2026-11-25"), 3,
     "front matter 'titel': unknown key (did you mean 'title'?)"),
    (source("title: T", "date: 2026-11-25", "colour: red"), 4,
     "front matter 'colour': unknown key (known: title, date, slug"),
    (source("date: 2026-11-25"), 2, "front matter needs 'title:'"),
    (source("title: T"), 2, "front matter needs 'date:' (ISO 8601"),
    (source("title:", "date: 2026-11-25"), 2, "front matter 'title': expected text, got None"),
    (source("title: '  '", "date: 2026-11-25"), 2,
     "front matter 'title': expected text, got '  '"),
    (source("title: [a, b]", "date: 2026-11-25"), 2, "'title': expected text, got ['a', 'b']"),
    (source("title: T", "date: 2026-11-25", "slug: Not A Slug"), 4,
     "'slug': expected lowercase ASCII letters, digits and '-', got 'Not A Slug'"),
    (source("title: T", "date: 2026-11-25", "lang: english!"), 4,
     "'lang': expected a language tag like 'ky' or 'fa', got 'english!'"),
    (source("title: T", "date: next tuesday"), 3,
     "'date': expected an ISO 8601 date, got 'next tuesday'"),
    (source("title: T", "date: 20261125"), 3,
     "'date': expected an ISO 8601 date like 2026-11-25T12:30:00+06:00, got 20261125"),
    (source("title: T", "date: 2026-11-25", "updated: yesterday"), 4,
     "'updated': expected an ISO 8601 date, got 'yesterday'"),
    (source("title: T", "date: 2026-11-25", "tags: [a, '']"), 4,
     "'tags': expected a list of words like [press-freedom, kazakhstan], got ['a', '']"),
    (source("title: T", "date: 2026-11-25", "tags: {a: 1}"), 4, "'tags': expected a list"),
    (source("title: T", "date: 2026-11-25", "draft: 'yes'"), 4,
     "'draft': expected true or false, got 'yes'"),
    (source("title: T", "date: 2026-11-25", "allow_external: 1"), 4,
     "'allow_external': expected true or false, got 1"),
    (source("title: T", "date: 2026-11-25", 'summary: "a" b'), 4,
     "front matter is not valid YAML: expected <block end>"),
    (source("title: T", "date: 2026-13-45"), 3,
     "front matter 'date': 2026-13-45 is not a real date"),
    (source("title: T", "  date: x"), 3, "front matter is not valid YAML"),
    (source("title: Draft headline", "date: 2026-11-25", "title: Final headline"), 4,
     "front matter key 'title' is given twice (lines 2 and 4); keep one"),
], ids=case_id)
def test_each_mistake_is_named_with_its_line(text: str, line: int, words: str) -> None:
    found_line, message = problem(text)
    assert words in message, message
    assert found_line == line, message


def test_a_long_wrong_value_is_shortened_in_the_message() -> None:
    _, message = problem(source("title: T", "date: 2026-11-25", "draft: " + "y" * 80))
    assert "got 'yyyyyyyy" in message and message.endswith("...")
    assert len(message) < 120


@pytest.mark.parametrize(("raw", "line", "words"), [
    (b"---\ntitle: T\n\xff\n", 3, "is not valid UTF-8; save it as UTF-8"),
    (b"---\ntitle: T\x00\n", 2, "contains a NUL character"),
    (b"---\n\ntitle: \x1b[31mT\n", 3, "contains the control character U+001B"),
    (b"---\ntitle: \xef\xbf\xbe\n", 2, "contains the control character U+FFFE"),
], ids=case_id)
def test_bytes_no_page_or_feed_can_carry_are_named_with_their_line(raw: bytes, line: int,
                                                                   words: str) -> None:
    with pytest.raises(ContentError) as caught:
        frontmatter.decode(FILE, raw)
    assert caught.value.file == FILE
    assert words in caught.value.message
    assert caught.value.line == line


def test_text_with_tabs_and_a_byte_order_mark_is_fine() -> None:
    assert frontmatter.decode(FILE, "\ufeff---\ttab\r\n".encode()) == "---\ttab\r\n"
