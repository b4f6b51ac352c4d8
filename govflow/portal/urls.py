"""Citizen portal URLs (mounted at the site root). The names are un-namespaced on purpose: other
packages link to ``home``, ``login`` and ``application``."""
from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("one-things/<slug:code>/", views.one_thing_detail, name="one-thing"),
    path("apply/<slug:code>/", views.apply_start, name="apply"),
    path("applications/", views.application_list, name="applications"),
    path("applications/<int:pk>/", views.application_detail, name="application"),
    path("applications/<int:pk>/guide/", views.apply_guide, name="apply-guide"),
    path("applications/<int:pk>/form/", views.apply_form, name="apply-form"),
    path("applications/<int:pk>/materials/", views.apply_materials, name="apply-materials"),
    path("applications/<int:pk>/check/", views.apply_check, name="apply-check"),
    path("applications/<int:pk>/submit/", views.apply_submit, name="apply-submit"),
    path("applications/<int:pk>/receipt/", views.receipt, name="receipt"),
    path("applications/<int:pk>/correct/", views.application_correct, name="application-correct"),
    path("applications/<int:pk>/withdraw/", views.application_withdraw, name="application-withdraw"),
    path("applications/<int:pk>/delete/", views.application_delete, name="application-delete"),
    path("applications/<int:pk>/evaluate/", views.application_evaluate, name="application-evaluate"),
    path("applications/<int:pk>/documents/<int:doc_pk>/", views.document_file, name="application-document"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/register/", views.register, name="register"),
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/password/change/", views.password_change, name="password-change"),
    path("accounts/password/forgot/", views.password_forgot, name="password-forgot"),
    path("accounts/password/forgot/sent/", views.password_forgot_sent, name="password-forgot-sent"),
    path("accounts/password/reset/code/", views.password_reset_code, name="password-reset-code"),
    path("accounts/password/reset/<str:uidb64>/<str:token>/", views.password_reset_confirm,
         name="password-reset-confirm"),
]
