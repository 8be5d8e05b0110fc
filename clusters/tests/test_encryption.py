"""Cluster secrets are ciphertext in the database, can be rotated to a new key, and are masked."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from clusters.encryption import SecretUnreadable
from clusters.forms import ClusterForm
from clusters.models import HopsworksCluster

API_KEY = "hw-admin-key-abcdefghijklmnop-WXYZ"
TOKEN = "k8s-bearer-token-0123456789-TAIL"


def raw_columns(cluster):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT api_key_encrypted, kubeconfig_encrypted FROM hopsworks_clusters WHERE id = %s", [cluster.pk]
        )
        return cursor.fetchone()


@pytest.fixture
def cluster(make_cluster):
    from clusters.kubeconfigs import kubeconfig_build

    cluster = make_cluster("eu-1", api_key=API_KEY)
    cluster.kubeconfig = kubeconfig_build(server="https://k8s.example.com:6443", token=TOKEN)
    cluster.save()
    return HopsworksCluster.objects.get(pk=cluster.pk)


def test_the_database_holds_ciphertext_that_the_configured_key_decrypts(cluster, settings):
    raw_key, raw_kubeconfig = raw_columns(cluster)
    assert API_KEY not in raw_key and TOKEN not in raw_kubeconfig and "current-context" not in raw_kubeconfig
    fernet = Fernet(settings.FIELD_ENCRYPTION_KEYS[0].encode())
    assert fernet.decrypt(raw_key.encode()).decode() == API_KEY
    assert cluster.api_key == API_KEY
    assert cluster.kubeconfig_dict()["users"][0]["user"]["token"] == TOKEN


def test_rotation_reencrypts_with_the_new_key_and_the_old_key_can_then_go(cluster, settings):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    before = raw_columns(cluster)

    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("rotate_secrets", stdout=open("/dev/null", "w"))

    after = raw_columns(cluster)
    assert after[0] != before[0] and after[1] != before[1]
    assert Fernet(new_key.encode()).decrypt(after[0].encode()).decode() == API_KEY
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key removed
    fresh = HopsworksCluster.objects.get(pk=cluster.pk)
    assert fresh.api_key == API_KEY and fresh.kubeconfig_dict()["users"][0]["user"]["token"] == TOKEN
    settings.FIELD_ENCRYPTION_KEYS = [old_key]  # the old key alone no longer reads them
    with pytest.raises(SecretUnreadable):
        HopsworksCluster.objects.get(pk=cluster.pk).api_key


def test_removing_a_key_before_rotating_is_reported_and_changes_nothing(cluster, settings):
    from django.core.management.base import CommandError

    before = raw_columns(cluster)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match="Cluster eu-1: .* keep the old key"):
        call_command("rotate_secrets")
    assert raw_columns(cluster) == before


def test_secrets_are_shown_masked_with_at_most_the_last_four_characters(cluster):
    assert cluster.api_key_masked == "••••WXYZ"
    summary = cluster.kubeconfig_summary()
    assert summary["credential"] == "token ••••TAIL" and summary["server"] == "https://k8s.example.com:6443"
    html = ClusterForm(instance=cluster).as_div()
    assert API_KEY not in html and TOKEN not in html and API_KEY[:-4] not in html
    assert "••••WXYZ" in html and "••••TAIL" in html
