import uuid
from datetime import timedelta

import pytest
from django.utils import timezone


@pytest.fixture(autouse=True)
def own_cache_prefix(settings):
    """Rate-limit counters live in the shared Redis: give each test keys of its own."""
    caches = {name: dict(conf) for name, conf in settings.CACHES.items()}
    caches["default"]["KEY_PREFIX"] = f"test-teams-{uuid.uuid4().hex}"
    settings.CACHES = caches


@pytest.fixture
def invite_for(db):
    """invite_for(owner, email, **fields) -> (invite, token): a saved invite with a known token."""
    from teams.models import TeamInvite
    from teams.tokens import invite_token_new

    def make(owner, email, **fields):
        token, token_hash = invite_token_new()
        fields.setdefault("expires_at", timezone.now() + timedelta(days=7))
        invite = TeamInvite.objects.create(owner=owner, email=email.lower(), token_hash=token_hash, **fields)
        return invite, token

    return make


@pytest.fixture
def counts(db):
    """counts() -> (users, invites by status, assignments, departures): what a refusal must not change."""
    from accounts.models import User
    from clusters.models import UserHopsworksAssignment
    from teams.models import TeamDeparture, TeamInvite

    def snapshot():
        return {
            "users": User.objects.count(),
            "members": User.objects.filter(account_owner__isnull=False).count(),
            "invites": sorted(TeamInvite.objects.values_list("pk", "status", "token_hash", "send_count")),
            "assignments": sorted(UserHopsworksAssignment.objects.values_list("user_id", "cluster_id", "state")),
            "departures": TeamDeparture.objects.count(),
        }

    return snapshot


@pytest.fixture
def seated_team(alice, bob):
    """Alice (card on file) and Bob seated on an active cluster through clusters' own service."""
    from clusters.models import HopsworksCluster
    from clusters.services import assignment_request

    cluster = HopsworksCluster.objects.create(name="demo-1", api_url="http://127.0.0.1:9/hopsworks-api/api", max_users=10)
    alice.card_on_file = True
    alice.save()
    assignment_request(user=alice)
    assignment_request(user=bob)
    return cluster
