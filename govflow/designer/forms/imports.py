"""The form that reads a catalog document to import: a file or pasted JSON."""
from __future__ import annotations

import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# -- import ------------------------------------------------------------------------------------

MAX_IMPORT_BYTES = 5 * 1024 * 1024


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Catalog file (JSON)"), required=False,
                           help_text=_("A govflow.catalog/1 document, as exported here or by "
                                       "“manage.py export_catalog”."))
    text = forms.CharField(label=_("Or paste the JSON"), required=False,
                           widget=forms.Textarea(attrs={"rows": 8, "cols": 90, "spellcheck": "false",
                                                        "class": "vLargeTextField"}))
    validate_only = forms.BooleanField(label=_("Only check the document, do not import it"), required=False)

    def clean(self) -> dict:
        data = super().clean()
        upload = data.get("file")
        text = data.get("text") or ""
        if upload is not None:
            if upload.size > MAX_IMPORT_BYTES:
                raise ValidationError(_("The file is larger than 5 MB."), code="too_large")
            raw = upload.read(MAX_IMPORT_BYTES + 1)
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise ValidationError(_("The file is not UTF-8 text."), code="encoding") from None
        if not text.strip():
            raise ValidationError(_("Choose a file or paste a document."), code="empty")
        try:
            data["document"] = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(_("Not valid JSON: %(error)s"), params={"error": exc}, code="json") from None
        except RecursionError:
            raise ValidationError(_("The document is nested too deeply."), code="depth") from None
        return data
