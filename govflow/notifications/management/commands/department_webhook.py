"""Register (or remove) a department system's webhook URL and secret."""
from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import URLValidator

from govflow.catalog.models import (
    MIN_WEBHOOK_SECRET_LENGTH,
    Department,
    validate_webhook_secret,
    validate_webhook_url,
)


class Command(BaseCommand):
    help = ("Set the webhook URL and HMAC secret of a department: every change of its cases is POSTed there, "
            "signed (X-Govflow-Signature), and its signed callbacks are checked with the same secret. "
            "Without options, shows the current registration.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("code", help="department code, e.g. amr")
        parser.add_argument("--url", help="https URL of the department system's webhook receiver")
        parser.add_argument("--secret", help=f"shared secret (at least {MIN_WEBHOOK_SECRET_LENGTH} characters)")
        parser.add_argument("--generate-secret", action="store_true", help="generate a random secret and print it")
        parser.add_argument("--remove", action="store_true", help="remove the URL and the secret")

    def handle(self, *args, code: str, url: str | None, secret: str | None, generate_secret: bool, remove: bool,
               **options) -> None:
        department = Department.objects.filter(code=code).first()
        if department is None:
            raise CommandError(f"No department with code {code!r}.")
        if remove:
            if url or secret or generate_secret:
                raise CommandError("--remove takes no other option.")
            department.webhook_url = ""
            department.webhook_secret = ""
            department.save(update_fields=["webhook_url", "webhook_secret"])
            self.stdout.write(f"Webhook of {code} removed.")
            return
        if secret and generate_secret:
            raise CommandError("Give --secret or --generate-secret, not both.")
        if not (url or secret or generate_secret):
            masked = "(none)" if not department.webhook_secret else f"{department.webhook_secret[:4]}… (set)"
            self.stdout.write(f"{code}: url={department.webhook_url or '(none)'} secret={masked}")
            return
        fields = []
        if url is not None:
            try:
                URLValidator(schemes=["http", "https"])(url)
            except ValidationError:
                raise CommandError(f"Not an http(s) URL: {url!r}") from None
            try:
                validate_webhook_url(url)
            except ValidationError:
                raise CommandError(f"Not an https:// URL: {url!r} (plain http needs DEBUG or "
                                   "GOVFLOW_ALLOW_HTTP_WEBHOOKS=1)") from None
            department.webhook_url = url
            fields.append("webhook_url")
        if generate_secret:
            secret = secrets.token_hex(32)
        if secret is not None:
            try:
                validate_webhook_secret(secret)
            except ValidationError:
                raise CommandError(f"The secret must be at least {MIN_WEBHOOK_SECRET_LENGTH} characters long.") from None
            department.webhook_secret = secret
            fields.append("webhook_secret")
        if department.webhook_url and not department.webhook_secret:
            raise CommandError("A webhook needs a secret: add --secret SECRET or --generate-secret.")
        department.save(update_fields=fields)
        self.stdout.write(f"Webhook of {code}: {department.webhook_url or '(no URL)'}")
        if generate_secret:
            self.stdout.write(f"Secret (give it to the department system, it is not shown again): {secret}")
