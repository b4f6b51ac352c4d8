"""Submitting admin forms the way a browser does (without JavaScript).

``form_data(html, form_id)`` reads a rendered ``<form>``: every named input, checked checkbox and
radio, textarea and selected option, skipping the inline formsets' ``__prefix__`` templates. Tests
change what an administrator would change and post the result back, so they exercise the admin's
own forms, formsets and widgets.
"""
from __future__ import annotations

from html.parser import HTMLParser


class _FormParser(HTMLParser):
    def __init__(self, form_id: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.depth = 0  # > 0 inside the wanted form
        self.data: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._text: list[str] = []
        self._select: str | None = None
        self._select_multiple = False
        self._options: list[tuple[str, bool]] = []
        self._option: dict | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            if self.depth:
                self.depth += 1
            elif self.form_id is None or a.get("id") == self.form_id:
                self.depth = 1
            return
        if not self.depth:
            return
        name = a.get("name", "")
        if "__prefix__" in name:
            return
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data.append((name, a.get("value", "on")))
                return
            self.data.append((name, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
        elif tag == "select" and name:
            self._select, self._select_multiple, self._options = name, "multiple" in a, []
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "selected": "selected" in a, "text": []}

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.depth:
            self.depth -= 1
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            self.data.append((self._textarea, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "option" and self._option is not None:
            self._finish_option()
        elif tag == "select" and self._select is not None:
            if self._option is not None:
                self._finish_option()
            chosen = [v for v, selected in self._options if selected]
            if not chosen and not self._select_multiple and self._options:
                chosen = [self._options[0][0]]
            self.data.extend((self._select, v) for v in chosen)
            self._select = None

    def _finish_option(self) -> None:
        option = self._option
        value = option["value"] if option["value"] is not None else "".join(option["text"]).strip()
        self._options.append((value, option["selected"]))
        self._option = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)
        elif self._option is not None:
            self._option["text"].append(data)


def form_data(html: str | bytes, form_id: str | None = None) -> dict[str, list[str]]:
    """The submission of the form (first form, or the one with ``id=form_id``): name → values."""
    if isinstance(html, bytes):
        html = html.decode("utf-8")
    parser = _FormParser(form_id)
    parser.feed(html)
    out: dict[str, list[str]] = {}
    for name, value in parser.data:
        out.setdefault(name, []).append(value)
    return out


def bilingual(name: str, en: str, zh: str = "") -> dict[str, str]:
    """POST keys of a bilingual (English / 中文) input pair."""
    return {f"{name}_en": en, f"{name}_zh_hans": zh}


def inline(prefix: str, rows: list[dict], *, initial: int = 0) -> dict:
    """An inline formset's management form and rows: ``{prefix}-{i}-{field}``."""
    data: dict = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{index}-{key}"] = value
    return data
