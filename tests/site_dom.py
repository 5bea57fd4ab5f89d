"""A strict little HTML tree for the site's tests: parse a page, find elements, read their text.

Strict on purpose: an end tag that does not close the open element, or an
element left open, is an error, so a template that breaks the markup fails
the tests instead of being silently repaired as a browser would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None] = field(default_factory=dict)
    children: list[Element | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The text inside, whitespace collapsed."""
        return " ".join("".join(self._texts()).split())

    def _texts(self):
        for child in self.children:
            if isinstance(child, str):
                yield child
            else:
                yield from child._texts()

    @property
    def html(self) -> str:
        """The inner markup, re-serialised (enough to check what is marked and what is escaped)."""
        from html import escape

        out = []
        for child in self.children:
            if isinstance(child, str):
                out.append(escape(child, quote=False))
            else:
                attributes = "".join(f' {k}="{escape(v or "")}"' for k, v in child.attrs.items())
                out.append(f"<{child.tag}{attributes}>{child.html}</{child.tag}>")
        return "".join(out)

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def iter(self):
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, class_: str | None = None, **attrs) -> list[Element]:
        found = []
        for element in self.iter():
            if tag and element.tag != tag:
                continue
            if class_ and class_ not in element.classes():
                continue
            if any(element.attrs.get(k.rstrip("_").replace("_", "-")) != v for k, v in attrs.items()):
                continue
            found.append(element)
        return found

    def find(self, tag: str | None = None, class_: str | None = None, **attrs) -> Element:
        found = self.find_all(tag, class_, **attrs)
        if not found:
            raise LookupError(f"no <{tag or '*'}> class={class_!r} {attrs}")
        return found[0]

    def by_id(self, element_id: str) -> Element:
        return self.find(id=element_id)


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document")
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs))
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Element(tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if self.stack[-1].tag != tag:
            raise ValueError(f"</{tag}> closes <{self.stack[-1].tag}> (line {self.getpos()[0]})")
        self.stack.pop()

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(markup: str) -> Element:
    builder = _Builder()
    builder.feed(markup)
    builder.close()
    if len(builder.stack) != 1:
        raise ValueError(f"unclosed elements: {[e.tag for e in builder.stack[1:]]}")
    return builder.root
