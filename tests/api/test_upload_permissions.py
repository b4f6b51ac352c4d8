"""Uploaded documents are private on disk: files 0600 in a 0700 tree, whatever the upload's size."""
from __future__ import annotations

import os
import stat

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from govflow.applications.models import Document

from ..stories import PDF_BYTES

pytestmark = pytest.mark.django_db


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def media_root(settings, tmp_path):
    """A MEDIA_ROOT that does not exist yet: the storage creates it with the first upload."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    old = os.umask(0o022)  # a usual umask: without the settings, files would be 0644, directories 0755
    yield tmp_path / "media"
    os.umask(old)


@pytest.mark.parametrize("size", [len(PDF_BYTES), 3 * 1024 * 1024], ids=["in-memory", "temporary-file"])
def test_an_uploaded_document_is_0600_in_a_0700_tree(api, citizen_alice, demo_catalog, media_root, size):
    app = api(citizen_alice).post("/api/v1/applications/", {"one_thing": "newborn", "data": {}}, format="json").json()
    content = PDF_BYTES + b"%" * (size - len(PDF_BYTES))

    response = api(citizen_alice).post(f"/api/v1/applications/{app['id']}/documents/",
                                       {"material": "delivery_record", "file": SimpleUploadedFile("r.pdf", content)},
                                       format="multipart")

    assert response.status_code == 201, response.content
    stored = media_root / Document.objects.get(pk=response.json()["id"]).file.name
    assert stored.stat().st_size == size
    assert mode(stored) == 0o600
    directory = stored.parent
    while True:  # documents/YYYY/MM and MEDIA_ROOT itself
        assert mode(directory) == 0o700, directory
        if directory == media_root:
            break
        directory = directory.parent


def test_the_deploy_check_warns_about_a_media_root_others_can_enter(settings, tmp_path):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    os.chmod(root, 0o755)
    with pytest.raises(SystemCheckError, match="govflow.W001"):
        call_command("check", "--deploy", "--fail-level", "WARNING", "--tag", "security")

    os.chmod(root, 0o700)
    from govflow.applications.checks import media_root_is_private
    assert media_root_is_private() == []
