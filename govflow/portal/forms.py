"""Forms of the citizen portal: accounts, filters, ratings, agents and authorisations.

The generated one-thing form is not a Django form: see ``answers.py``. These forms only check
what a person typed and give messages in the page's language; the services decide.
"""
from __future__ import annotations

from datetime import date, datetime, time

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govflow.accounts.models import User
from govflow.accounts.services import notification_languages
from govflow.applications.models import ApplicationStatus
from govflow.catalog.identifiers import ID_NUMBER_INPUT_PATTERN, PHONE_INPUT_PATTERN, is_valid_id_number, is_valid_phone
from govflow.parties.models import AuthorisationScope, Relation
from govflow.text import validate_single_line_text

_PASSWORD_MISMATCH = _("The two passwords do not match.")


def _new_password_pair(label: str, confirm_label: str) -> tuple[forms.CharField, forms.CharField]:
    """A new password and the same typed again (the browser may offer to generate one)."""
    first = forms.CharField(
        label=label, strip=False,
        help_text=_("At least 8 characters; not only digits, and not like your username."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "minlength": 8}))
    second = forms.CharField(label=confirm_label, strip=False,
                             widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    return first, second


def _matching_password(form: forms.Form, first: str, second: str) -> str | None:
    """The new password typed in ``first``, unless ``second`` differs (then an error on ``second``)."""
    password, again = form.cleaned_data.get(first), form.cleaned_data.get(second)
    if password and again and password != again:
        form.add_error(second, forms.ValidationError(_PASSWORD_MISMATCH))
        return None
    return password


class LoginForm(AuthenticationForm):
    """Django's login form (``authenticate()``, so django-axes sees every attempt), with our words."""

    error_messages = {
        "invalid_login": _("Enter a correct username and password. Both are case-sensitive."),
        "inactive": _("This account is inactive."),
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Username")
        self.fields["password"].label = _("Password")
        self.fields["username"].widget.attrs.update(autocomplete="username", autocapitalize="none",
                                                    spellcheck="false")
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"


class SecondFactorCodeForm(forms.Form):
    """One code: the authenticator app's 6 digits, or (signing in) a recovery code."""

    code = forms.CharField(label=_("Code"), max_length=40, strip=True,
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "none",
                                                         "spellcheck": "false"}))

    def __init__(self, *args, recovery: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = (
            _("The 6-digit code your authenticator app shows now, or one of your recovery codes.") if recovery
            else _("The 6-digit code your authenticator app shows now."))


class RegisterForm(forms.Form):
    """Local self-registration (stands in for a real-name identity provider)."""

    name = forms.CharField(label=_("Full name"), max_length=100, validators=[validate_single_line_text],
                           help_text=_("As shown on your resident ID card."),
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    id_number = forms.CharField(
        label=_("Resident ID number"), max_length=18, min_length=18,
        help_text=_("18 characters: 17 digits, then a digit or X."),
        widget=forms.TextInput(attrs={"pattern": ID_NUMBER_INPUT_PATTERN, "autocapitalize": "characters",
                                      "spellcheck": "false", "autocomplete": "off"}))
    phone = forms.CharField(
        label=_("Mobile phone number"), max_length=20,
        help_text=_("An 11-digit mainland China mobile number, for example 13800138000."),
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "pattern": PHONE_INPUT_PATTERN,
                                      "autocomplete": "tel-national"}))
    email = forms.EmailField(label=_("Email address"), max_length=254,
                             help_text=_("We send updates about your applications to this address."),
                             widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}))
    username = forms.RegexField(
        label=_("Username"), max_length=150, regex=r"^[\w.@+-]+\Z",
        help_text=_("Letters, digits and @ . + - _ only. You sign in with it."),
        error_messages={"invalid": _("Use only letters, digits and @ . + - _ in the username.")},
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none",
                                      "spellcheck": "false"}))
    password1, password2 = _new_password_pair(_("Password"), _("Confirm password"))

    error_messages = {
        "id_number_invalid": _("Enter a valid resident ID number: the last character is a check digit."),
        "username_taken": _("This username is taken. Choose another."),
        "phone_invalid": _("Enter a valid mainland China mobile number (11 digits)."),
    }

    def clean_id_number(self) -> str:
        value = self.cleaned_data["id_number"].strip().upper()
        if not is_valid_id_number(value):
            raise forms.ValidationError(self.error_messages["id_number_invalid"], code="invalid")
        return value

    def clean_phone(self) -> str:
        value = "".join(self.cleaned_data["phone"].split()).replace("-", "")
        if not is_valid_phone(value):
            raise forms.ValidationError(self.error_messages["phone_invalid"], code="invalid")
        return value

    def clean_username(self) -> str:
        value = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=value).exists():
            raise forms.ValidationError(self.error_messages["username_taken"], code="taken")
        return value

    def clean(self) -> dict:
        cleaned = super().clean()
        if first := _matching_password(self, "password1", "password2"):
            probe = User(username=cleaned.get("username", ""), name=cleaned.get("name", ""),
                         email=cleaned.get("email", ""))
            try:
                password_validation.validate_password(first, user=probe)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


def _division_field(label: str, help_text: str, *, required: bool) -> forms.RegexField:
    """A select of divisions whose options the view gives (``division_choices``). Only the shape of
    a code is checked here; whether the division exists and fits is the service's to say."""
    return forms.RegexField(
        label=label, help_text=help_text, required=required, regex=r"^[0-9]{6,12}\Z",
        error_messages={"required": _("Select a place."), "invalid": _("Select a place from the list.")},
        widget=forms.Select)


class _DivisionSelectForm(forms.Form):
    """A form whose division select gets its options from the view."""

    division_field = ""

    def __init__(self, *args, choices: list = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields[self.division_field].widget.choices = list(choices)


class ProfileForm(_DivisionSelectForm):
    """What a citizen may change themselves (not their name and ID number): contact details, where
    they live, and how they are told about their applications."""

    phone = RegisterForm.base_fields["phone"]
    email = RegisterForm.base_fields["email"]
    residence = _division_field(
        _("Your district, city or province"),
        _("Your applications start in this place; you can choose another for each application. It also "
          "decides which local services you see."), required=False)
    notify_by_email = forms.BooleanField(label=_("By email"), required=False)
    notify_by_sms = forms.BooleanField(label=_("By text message (SMS)"), required=False)
    # Not required: a form without it (a script's) leaves the language as it is.
    language = forms.ChoiceField(label=_("Language of our messages"), widget=forms.RadioSelect,
                                 choices=notification_languages, required=False,
                                 error_messages={"invalid_choice": _("Choose the language of our messages.")})

    division_field = "residence"
    clean_phone = RegisterForm.clean_phone
    error_messages = RegisterForm.error_messages

    def __init__(self, *args, choices: list = (), **kwargs) -> None:
        super().__init__(*args, choices=[("", _("Not set")), *choices], **kwargs)


class DivisionForm(_DivisionSelectForm):
    """Where an application is handled (the apply wizard's first step and a draft's)."""

    prefix = "place"
    division = _division_field(
        _("Where your application is handled"),
        _("The offices of this place handle your application. We start with where you live; choose another "
          "place if your application belongs there."), required=True)

    division_field = "division"


class FilterForm(forms.Form):
    STATUS_CHOICES = [("", _("All")), *ApplicationStatus.choices]

    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    one_thing = forms.ChoiceField(label=_("Service"), choices=[("", _("All"))], required=False)

    def __init__(self, *args, one_things: list[tuple[str, str]] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["one_thing"].choices = [("", _("All")), *one_things]


class EvaluationForm(forms.Form):
    SCORES = [(5, _("5 – Very satisfied")), (4, _("4 – Satisfied")), (3, _("3 – Neither")),
              (2, _("2 – Dissatisfied")), (1, _("1 – Very dissatisfied"))]

    score = forms.TypedChoiceField(label=_("How satisfied are you with this service?"), choices=SCORES,
                                   coerce=int, widget=forms.RadioSelect,
                                   error_messages={"required": _("Select a score from 1 to 5.")})
    comment = forms.CharField(label=_("Comments"), required=False, max_length=2000,
                              help_text=_("Do not include personal information."),
                              widget=forms.Textarea(attrs={"rows": 4}))


class _NewPasswordForm(forms.Form):
    """A new password typed twice; the validators run in the service (``govflow.accounts.services``)."""

    new_password1, new_password2 = _new_password_pair(_("New password"), _("Confirm new password"))

    def clean(self) -> dict:
        cleaned = super().clean()
        _matching_password(self, "new_password1", "new_password2")
        return cleaned


class PasswordChangeForm(_NewPasswordForm):
    old_password = forms.CharField(label=_("Current password"), strip=False,
                                   widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    field_order = ["old_password", "new_password1", "new_password2"]


class SetPasswordForm(_NewPasswordForm):
    pass


class ForgotPasswordForm(forms.Form):
    identifier = forms.CharField(
        label=_("Username, mobile phone number or email address"), max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}))
    channel = forms.ChoiceField(
        label=_("How should we reach you?"), widget=forms.RadioSelect, initial="email",
        choices=[("email", _("Email me a link")), ("sms", _("Text me a code (SMS)"))],
        error_messages={"required": _("Choose email or SMS.")})


class ResetCodeForm(_NewPasswordForm):
    identifier = ForgotPasswordForm.base_fields["identifier"]
    code = forms.RegexField(
        label=_("Code from the SMS"), regex=r"^\s*\d{6}\s*$", max_length=12,
        help_text=_("6 digits."),
        error_messages={"invalid": _("Enter the 6 digits of the code.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": r"\d{6}",
                                      "spellcheck": "false"}))

    field_order = ["identifier", "code", "new_password1", "new_password2"]


# -- organisations and authorisations -------------------------------------------------------------

def end_of_day(day: date) -> datetime:
    """An expiry chosen as a date lasts to the end of that day, in the site's time zone."""
    return timezone.make_aware(datetime.combine(day, time.max))


class _ExpiryForm(forms.Form):
    expires_on = forms.DateField(
        label=_("Valid until"), help_text=_("The authority ends at the end of this day, or earlier when revoked."),
        error_messages={"required": _("Enter the date the authority ends."),
                        "invalid": _("Enter a real date, for example 2027-06-30.")},
        widget=forms.DateInput(attrs={"type": "date", "class": "input--date"}, format="%Y-%m-%d"))

    def clean_expires_on(self) -> date:
        value = self.cleaned_data["expires_on"]
        if value < timezone.localdate():
            raise forms.ValidationError(_("Choose a date in the future."), code="past")
        return value

    @property
    def expires_at(self) -> datetime:
        return end_of_day(self.cleaned_data["expires_on"])


_ID_NUMBER_WIDGET = forms.TextInput(attrs={"pattern": ID_NUMBER_INPUT_PATTERN, "autocapitalize": "characters",
                                           "spellcheck": "false", "autocomplete": "off"})


def _clean_id_number(value: str) -> str:
    value = value.strip().upper()
    if not is_valid_id_number(value):
        raise forms.ValidationError(RegisterForm.error_messages["id_number_invalid"], code="invalid")
    return value


class AgentGrantForm(_ExpiryForm):
    """The legal representative authorises an agent (经办人) of the organisation."""

    agent_id_number = forms.CharField(
        label=_("The agent's resident ID number"), max_length=18,
        help_text=_("The agent must have an account here, registered with this ID number."), widget=_ID_NUMBER_WIDGET)

    field_order = ["agent_id_number", "expires_on"]

    def clean_agent_id_number(self) -> str:
        return _clean_id_number(self.cleaned_data["agent_id_number"])


class AuthorisationForm(_ExpiryForm):
    """An authorisation to apply for another person (代办), with its evidence."""

    subject_name = forms.CharField(label=_("Their full name"), max_length=100, validators=[validate_single_line_text],
                                   help_text=_("As shown on their resident ID card."))
    subject_id_number = forms.CharField(label=_("Their resident ID number"), max_length=18,
                                        help_text=_("18 characters: 17 digits, then a digit or X."),
                                        widget=_ID_NUMBER_WIDGET)
    relation = forms.ChoiceField(label=_("You are their"), choices=Relation.choices, widget=forms.RadioSelect,
                                 error_messages={"required": _("Choose how you are related.")})
    one_thing = forms.ChoiceField(label=_("Service"), error_messages={"required": _("Choose the service."),
                                                                     "invalid_choice": _("Choose the service.")})
    scope = forms.ChoiceField(label=_("For"), choices=AuthorisationScope.choices, widget=forms.RadioSelect,
                              initial=AuthorisationScope.APPLICATION,
                              error_messages={"required": _("Choose what the authorisation covers.")})
    evidence = forms.FileField(
        label=_("Evidence"), help_text=_("A power of attorney, or a birth or guardianship certificate: PDF, PNG or "
                                         "JPEG, up to 10 MB."),
        error_messages={"required": _("Upload the evidence."), "empty": _("The file is empty.")},
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,application/pdf,.png,image/png,.jpg,.jpeg,image/jpeg"}))

    field_order = ["subject_name", "subject_id_number", "relation", "one_thing", "scope", "expires_on", "evidence"]

    def __init__(self, *args, one_things: list[tuple[str, str]] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["one_thing"].choices = [("", _("Choose a service")), *one_things]

    def clean_subject_id_number(self) -> str:
        return _clean_id_number(self.cleaned_data["subject_id_number"])
