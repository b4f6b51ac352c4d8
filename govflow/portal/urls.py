"""Citizen portal URLs (mounted at the site root). The names are un-namespaced on purpose: other
packages link to ``home``, ``login`` and ``application``."""
from django.urls import path

from . import oidc
from .views import accounts, apply, claim, find, follow, papers, parties

urlpatterns = [
    path("", find.home, name="home"),
    path("one-things/<slug:code>/", find.one_thing_detail, name="one-thing"),
    path("one-things/<slug:code>/guide/", find.one_thing_guide, name="one-thing-guide"),
    path("apply/<slug:code>/", apply.apply_start, name="apply"),
    path("applications/", follow.application_list, name="applications"),
    path("applications/<int:pk>/", follow.application_detail, name="application"),
    path("applications/<int:pk>/guide/", apply.apply_guide, name="apply-guide"),
    path("applications/<int:pk>/form/", apply.apply_form, name="apply-form"),
    path("applications/<int:pk>/materials/", apply.apply_materials, name="apply-materials"),
    path("applications/<int:pk>/check/", apply.apply_check, name="apply-check"),
    path("applications/<int:pk>/submit/", apply.apply_submit, name="apply-submit"),
    path("applications/<int:pk>/receipt/", apply.receipt, name="receipt"),
    path("applications/<int:pk>/receipt.pdf", papers.receipt_pdf, name="receipt-pdf"),
    path("applications/<int:pk>/outputs/<int:output_pk>/certificate.pdf", papers.certificate_pdf,
         name="certificate-pdf"),
    path("applications/<int:pk>/outputs/<int:output_pk>/certificate/name/", papers.certificate_consent,
         name="certificate-consent"),
    # Public verification pages (no sign-in) that the papers' QR codes open.
    path("verify/<str:token>/", papers.verify_receipt, name="verify-receipt"),
    path("verify/certificates/<str:token>/", papers.verify_certificate, name="verify-certificate"),
    path("applications/<int:pk>/correct/", follow.application_correct, name="application-correct"),
    path("applications/<int:pk>/withdraw/", follow.application_withdraw, name="application-withdraw"),
    path("applications/<int:pk>/apply-again/", follow.application_apply_again, name="application-apply-again"),
    path("applications/<int:pk>/delete/", follow.application_delete, name="application-delete"),
    path("applications/<int:pk>/evaluate/", follow.application_evaluate, name="application-evaluate"),
    path("applications/<int:pk>/documents/<int:doc_pk>/", follow.document_file, name="application-document"),
    path("acting-as/", parties.acting_as, name="acting-as"),
    path("organisations/", parties.organisation_list, name="organisations"),
    path("organisations/<int:pk>/", parties.organisation_detail, name="organisation"),
    path("organisations/<int:pk>/agents/", parties.agent_grant, name="organisation-agent-grant"),
    path("organisations/<int:pk>/roles/<int:role_pk>/revoke/", parties.role_revoke, name="organisation-role-revoke"),
    path("authorisations/", parties.authorisation_list, name="authorisations"),
    path("authorisations/new/", parties.authorisation_new, name="authorisation-new"),
    path("authorisations/<int:pk>/revoke/", parties.authorisation_revoke, name="authorisation-revoke"),
    path("authorisations/<int:pk>/evidence/", parties.authorisation_evidence, name="authorisation-evidence"),
    path("receipts/follow/", claim.follow_receipt, name="follow-receipt"),
    path("receipts/claim/", claim.claim, name="claim"),
    path("accounts/login/", accounts.LoginView.as_view(), name="login"),
    path("accounts/logout/", accounts.LogoutView.as_view(), name="logout"),
    path("accounts/register/", accounts.register, name="register"),
    # The unified identity provider (OpenID Connect): 404 unless configured. Names as mozilla-django-oidc expects.
    path("accounts/oidc/authenticate/", oidc.AuthenticateView.as_view(), name="oidc_authentication_init"),
    path("accounts/oidc/callback/", oidc.CallbackView.as_view(), name="oidc_authentication_callback"),
    path("accounts/profile/", accounts.profile, name="profile"),
    path("accounts/password/change/", accounts.password_change, name="password-change"),
    path("accounts/password/forgot/", accounts.password_forgot, name="password-forgot"),
    path("accounts/password/forgot/sent/", accounts.password_forgot_sent, name="password-forgot-sent"),
    path("accounts/password/reset/code/", accounts.password_reset_code, name="password-reset-code"),
    path("accounts/password/reset/<str:uidb64>/<str:token>/", accounts.password_reset_confirm,
         name="password-reset-confirm"),
]
