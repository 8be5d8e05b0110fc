"""The panel's own cast on top of the root conftest: an admin client and the ids URL kwargs need."""

import pytest


@pytest.fixture
def admin_client_for(client_for, root):
    return client_for(root)


def audit_count(**filters):
    from adminpanel.models import AuditEntry

    return AuditEntry.objects.filter(**filters).count()
