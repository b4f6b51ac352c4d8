from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "govflow.applications"
    label = "applications"
    verbose_name = _("Applications")

    def ready(self) -> None:
        # Importing the flow registers its nodes with viewflow; checks registers the deploy check;
        # the outbox delivery runs automatic_check and proactive_event rows through the handlers
        # registered here.
        from govflow import adminkit
        from govflow.notifications import delivery

        from . import access, automatic, checks, flows, proactive, tasks  # noqa: F401

        delivery.register_automatic_check(automatic.outbox_check)
        delivery.register_proactive_event(proactive.outbox_event)
        # An administrator's view of a person's data in the admin is an access record (issue 20).
        adminkit.on_admin_read(access.admin_read)
