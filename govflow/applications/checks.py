"""``manage.py check --deploy``: the uploaded documents' folder must not be open to other users."""
from __future__ import annotations

import os
import stat

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def media_root_is_private(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Warn when MEDIA_ROOT exists and its group or others may read, write or enter it.

    The storage creates MEDIA_ROOT 0700 when it is missing; one made beforehand keeps its mode.
    """
    root = str(settings.MEDIA_ROOT)
    try:
        mode = stat.S_IMODE(os.stat(root).st_mode)
    except FileNotFoundError:
        return []
    if mode & 0o077:
        return [checks.Warning(
            f"MEDIA_ROOT {root} has mode {mode:04o}: other users may reach the uploaded documents.",
            hint=f"chmod 0700 {root} (and every folder in it)", id="govflow.W001")]
    return []
