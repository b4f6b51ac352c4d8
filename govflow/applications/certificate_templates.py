"""The language of certificate templates (docs/papers.md): what a template may print and which tags
it may use, the check an administrator's template must pass, and rendering with frozen values.

It imports no model, so the model (``CertificateTemplate.clean``/``save``) and the papers service
both use it: the rule stands once, below both. The per-process cache of which outputs have an
active template is forgotten here when a template is saved; :mod:`.papers` fills it.
"""
from __future__ import annotations

from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import Lexer, TokenType, VariableNode
from django.template.defaulttags import ForNode, WithNode
from django.utils.translation import gettext as _

#: What a certificate template may print, with a sample value each (the check renders with these).
TEMPLATE_FIELDS: dict[str, str] = {
    "holder_name": "张三",
    "output_label": "统一社会信用代码",
    "output_value": "91330106MA2AAAAA1X",
    "authority": "西湖区市场监督管理局",
    "issue_date": "2026-01-05",
    "serial": "AMR-330106-2026-000001",
    "one_thing": "开办企业一件事",
    "procedure": "企业设立登记",
    "application_number": "GF-2026-000001",
}

#: The template tags a certificate may use: logic and layout only. No {% load %} (no other
#: libraries), no {% include %}/{% extends %} (no files), no {% debug %} (it prints the modules),
#: no {% now %} (a certificate says the same thing on every download), no {% url %} or {% csrf_token %}.
ALLOWED_TAGS = frozenset({
    "if", "elif", "else", "endif", "for", "empty", "endfor", "with", "endwith", "comment", "endcomment",
    "firstof", "filter", "endfilter", "spaceless", "endspaceless", "cycle", "templatetag", "widthratio",
})

#: Loops nest, and each multiplies the work of a rendering: a few are all a certificate needs.
MAX_LOOPS = 3

#: The engine certificates are rendered with: no template files, no tag libraries, no escaping
#: (the text goes into a PDF, not HTML), unknown values print as nothing.
ENGINE = Engine(dirs=[], app_dirs=False, loaders=[], libraries={}, autoescape=False, string_if_invalid="",
                debug=False)


class TemplateError(Exception):
    """A certificate template that cannot be saved; ``field`` is ``title`` or ``body``."""

    def __init__(self, field: str, messages: list[str]) -> None:
        self.field = field
        self.messages = messages
        super().__init__("; ".join(messages))


def _roots(nodelist) -> tuple[set[str], set[str]]:
    """The names variables print (the first part of ``a.b``) and the names loops and {% with %} bind."""
    used: set[str] = set()
    bound: set[str] = set()
    for node in nodelist.get_nodes_by_type(VariableNode):
        var = node.filter_expression.var
        lookups = getattr(var, "lookups", None)
        if lookups:
            used.add(lookups[0])
    for node in nodelist.get_nodes_by_type(ForNode):
        bound.update(node.loopvars)
        bound.add("forloop")
    for node in nodelist.get_nodes_by_type(WithNode):
        bound.update(node.extra_context)
    return used, bound


def _check_one(name: str, text: str) -> str:
    tags = []
    for token in Lexer(text).tokenize():
        if token.token_type == TokenType.BLOCK:
            parts = token.split_contents()
            tags.append(parts[0] if parts else "")
    refused = sorted({tag for tag in tags if tag not in ALLOWED_TAGS})
    if not refused and tags.count("for") > MAX_LOOPS:
        raise TemplateError(name, [_("A certificate template may have at most %(count)d loops.")
                                   % {"count": MAX_LOOPS}])
    if refused:
        raise TemplateError(name, [_("These tags are not allowed in a certificate template: %(tags)s. "
                                     "Use {%% if %%}, {%% for %%}, {%% with %%} and filters.")
                                   % {"tags": ", ".join(refused)}])
    try:
        template = ENGINE.from_string(text)
    except TemplateSyntaxError as exc:
        raise TemplateError(name, [_("The template has an error: %(error)s") % {"error": exc}]) from None
    used, bound = _roots(template.nodelist)
    unknown = sorted(used - bound - set(TEMPLATE_FIELDS))
    if unknown:
        raise TemplateError(name, [_("Unknown names: %(names)s. A certificate can print: %(fields)s.")
                                   % {"names": ", ".join(unknown), "fields": ", ".join(TEMPLATE_FIELDS)}])
    try:
        return template.render(Context(dict(TEMPLATE_FIELDS), autoescape=False))
    except Exception as exc:  # noqa: BLE001 - a filter's error at render time is the template's fault
        raise TemplateError(name, [_("The template fails with the sample values: %(error)s") % {"error": exc}]) \
            from None


def check_template(title: str, body: str) -> None:
    """Refuse a template that uses a tag or a name a certificate may not, does not compile, fails
    when rendered with sample values, or renders empty; :class:`TemplateError` says which."""
    if not (title or "").strip():
        raise TemplateError("title", [_("A certificate needs a title.")])
    if not _check_one("title", title).strip():
        raise TemplateError("title", [_("The title prints nothing with the sample values.")])
    if not _check_one("body", body or "").strip():
        raise TemplateError("body", [_("The text prints nothing with the sample values.")])


def render(text: str, values: dict[str, str]) -> str:
    """A template's text with the values it prints (a certificate's, frozen at issue)."""
    return ENGINE.from_string(text).render(Context(dict(values), autoescape=False)).strip()



#: The output codes that have an active template, read at most once a minute per process (an
#: approval without a certificate costs no query), and at once after a template is saved here.
TEMPLATE_CODES_SECONDS = 60
template_codes_cache: list[tuple[float, frozenset[str]]] = []


def forget_template_codes() -> None:
    """Read the codes again at the next approval (a template was saved or deleted)."""
    template_codes_cache.clear()
