"""What an applicant posts: create, update, upload, sign, evaluate, choose a delivery, submit."""
from __future__ import annotations

from rest_framework import serializers

from govflow.applications.models import (
    DeliveryMethod,
)

# -- request bodies ---------------------------------------------------------------------------

DIVISION_HELP = ("Code of the division the application is handled in (see `GET /divisions/`); it must lie where "
                 "the one thing is offered.")


ACTING_AS_HELP = ("On whose behalf: `me` (default: yourself), `org:<organisation id>` (an organisation in which you "
                  "hold a standing role, see `GET /organisations/`) or `for:<authorisation id>` (a person whose "
                  "live authorisation you hold, see `GET /authorisations/`). One you may not act for is a 404.")


class ApplicationCreateSerializer(serializers.Serializer):
    one_thing = serializers.CharField(max_length=64)
    acting_as = serializers.CharField(max_length=32, required=False, help_text=ACTING_AS_HELP)
    data = serializers.DictField(required=False, default=dict, help_text="Answers keyed by field code.")
    division = serializers.CharField(max_length=64, required=False, help_text=(
        DIVISION_HELP + " Without it: the applicant's residence, else the site's default division, when the one "
                        "thing is offered there; otherwise the one thing's own division."))


class ApplicationUpdateSerializer(serializers.Serializer):
    data = serializers.DictField(required=False, help_text="Top-level keys replace answers; null removes one.")
    division = serializers.CharField(max_length=64, required=False,
                                     help_text=DIVISION_HELP + " Only while the application is a draft.")

    def validate(self, attrs: dict) -> dict:
        if "data" not in attrs and "division" not in attrs:
            raise serializers.ValidationError("Send data, division or both.")
        return attrs


class DocumentUploadSerializer(serializers.Serializer):
    material = serializers.CharField(max_length=64)
    file = serializers.FileField()


class CommitmentSignSerializer(serializers.Serializer):
    """告知承诺制: sign the commitment the procedure defines instead of uploading the material."""

    material = serializers.CharField(max_length=64)
    commitment = serializers.BooleanField(help_text=(
        "`true`: I have read the commitment's text (the one thing's `materials[].commitment.text`) "
        "and confirm it; anything else is refused."))


class EvaluationCreateSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class DeliveryChoiceSerializer(serializers.Serializer):
    """How the applicant receives what the applicable procedures issue physically."""

    method = serializers.ChoiceField(choices=DeliveryMethod.choices, help_text=(
        "`pickup` (at a service hall: `office`) or `post` (to `recipient`, `phone`, `address`); one of the "
        "methods every physical result of the applicable procedures allows."))
    office = serializers.CharField(required=False, allow_blank=True, max_length=80, help_text=(
        "pickup: code of an office of the application's division, or of a division above it up to the one "
        "competent for the physical results (see the draft's `delivery_options`)."))
    recipient = serializers.CharField(required=False, allow_blank=True, max_length=200, trim_whitespace=False)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40, trim_whitespace=False,
                                  help_text="post: the recipient's mainland China mobile number (11 digits).")
    address = serializers.CharField(required=False, allow_blank=True, max_length=600, trim_whitespace=False)


class SubmitSerializer(serializers.Serializer):
    delivery = DeliveryChoiceSerializer(required=False, allow_null=True, help_text=(
        "Required when an applicable procedure issues something physical (a seal, a card, a paper licence); "
        "ignored otherwise."))
    # 容缺受理 (docs/api.md, "Deferred materials").
    defer = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=50, help_text=(
            "Codes of deferrable materials submitted without (容缺受理): each is due within the procedure's "
            "working days and handed in later with the documents endpoint. Needs accept_deferral_terms."))
    accept_deferral_terms = serializers.BooleanField(required=False, default=False, help_text=(
        "true: the applicant accepts the deferral terms (GET /api/v1/deferral-terms/), recorded with the "
        "time and the terms' version and digest."))


class SubmitErrorSerializer(serializers.Serializer):
    """Both keys when the application is incomplete (either may be empty); other 400s (an invalid
    ``Idempotency-Key`` header) are ``{field: [messages]}``."""

    data = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False,
                                 help_text="Field errors of the merged form, by field code.")
    materials = serializers.ListField(child=serializers.CharField(), required=False,
                                      help_text="Codes of the required materials not uploaded; on resubmit also "
                                                "the materials marked for correction and not uploaded "
                                                "again since.")
    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False,
                                             help_text="When no procedure applies to the answers.")
    division = serializers.ListField(child=serializers.CharField(), required=False,
                                     help_text="When no office is competent for a procedure in the application's "
                                               "division: one message per missing office, naming its department "
                                               "and division. Nothing is submitted.")
    delivery = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False,
                                     help_text="The delivery choice is missing or invalid: messages by key "
                                               "(`method`, `office`, `recipient`, `phone`, `address`).")
