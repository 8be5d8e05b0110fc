"""Adding and editing clusters with clusters' own form: validated, secrets masked, audited once."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from adminpanel.models import AuditEntry
from clusters.kubeconfigs import kubeconfig_build
from clusters.models import HopsworksCluster, UserHopsworksAssignment

API_KEY = "hw-admin-key-abcdef0123456789"
TOKEN = "k8s-token-secret-zyxw9876"


def cluster_data(**overrides):
    data = {
        "name": "eu-2", "api_url": "https://eu2.hopsworks.example", "api_key": API_KEY, "region": "eu-west-1",
        "max_users": "25", "status": "active", "owner_label_key": "owner",
        "kubeconfig_text": kubeconfig_build(server="https://k8s.eu2.example:6443", token=TOKEN),
    }
    data.update(overrides)
    return data


def test_admin_adds_a_cluster_with_a_pasted_kubeconfig(admin_client_for, root):
    response = admin_client_for.post(reverse("adminpanel:cluster_add"), cluster_data())

    cluster = HopsworksCluster.objects.get(name="eu-2")
    assert response.status_code == 302 and response["Location"] == reverse("adminpanel:cluster_detail", args=[cluster.pk])
    assert cluster.api_key == API_KEY and cluster.kubeconfig_dict()["users"][0]["user"]["token"] == TOKEN
    entry = AuditEntry.objects.get()
    assert (entry.admin, entry.action, entry.target_id, entry.before) == (root, "cluster.create", str(cluster.pk), None)
    assert entry.after["max_users"] == 25 and entry.after["region"] == "eu-west-1"
    serialized = str(entry.after)
    assert API_KEY not in serialized and TOKEN not in serialized, "the audit log keeps secrets masked"


def test_admin_adds_a_cluster_with_an_uploaded_kubeconfig(admin_client_for):
    upload = SimpleUploadedFile("config.yaml", kubeconfig_build(server="https://k.example:6443", token=TOKEN).encode())
    data = cluster_data(kubeconfig_text="")
    data["kubeconfig_file"] = upload
    assert admin_client_for.post(reverse("adminpanel:cluster_add"), data).status_code == 302
    assert HopsworksCluster.objects.get(name="eu-2").kubeconfig_dict()["clusters"][0]["cluster"]["server"] == "https://k.example:6443"


def test_cluster_pages_never_render_secrets_in_full(admin_client_for):
    admin_client_for.post(reverse("adminpanel:cluster_add"), cluster_data())
    cluster = HopsworksCluster.objects.get(name="eu-2")
    for url in (reverse("adminpanel:cluster_detail", args=[cluster.pk]), reverse("adminpanel:cluster_edit", args=[cluster.pk]),
                reverse("adminpanel:clusters"), reverse("adminpanel:audit_log")):
        body = admin_client_for.get(url).content.decode()
        assert API_KEY not in body and TOKEN not in body, url
    detail = admin_client_for.get(reverse("adminpanel:cluster_detail", args=[cluster.pk])).content.decode()
    assert API_KEY[-4:] in detail and "https://k8s.eu2.example:6443" in detail


def test_editing_with_blank_secrets_keeps_them_and_audits_before_and_after(admin_client_for, make_cluster):
    cluster = make_cluster("eu-1", max_users=10)
    cluster.kubeconfig = kubeconfig_build(server="https://old.example:6443", token=TOKEN)
    cluster.save()
    data = cluster_data(name="eu-1", api_key="", kubeconfig_text="", max_users="30", status="maintenance")

    response = admin_client_for.post(reverse("adminpanel:cluster_edit", args=[cluster.pk]), data)

    assert response.status_code == 302
    cluster.refresh_from_db()
    assert (cluster.max_users, cluster.status) == (30, "maintenance")
    assert cluster.api_key == "hw-secret-api-key-0001"
    assert cluster.kubeconfig_dict()["clusters"][0]["cluster"]["server"] == "https://old.example:6443"
    entry = AuditEntry.objects.get()
    assert entry.action == "cluster.update"
    assert (entry.before["max_users"], entry.after["max_users"]) == (10, 30)
    assert (entry.before["status"], entry.after["status"]) == ("active", "maintenance")


def test_adding_a_cluster_seats_the_users_waiting_for_capacity(
    admin_client_for, alice, charlie, seat, django_capture_on_commit_callbacks
):
    now = timezone.now()
    for owner, waited in ((charlie, 10), (alice, 60)):
        type(owner).objects.filter(pk=owner.pk).update(card_on_file=True)
        seat(owner, None, "waiting_for_capacity", waiting_since=now - timedelta(minutes=waited))
    with django_capture_on_commit_callbacks(execute=True):
        admin_client_for.post(reverse("adminpanel:cluster_add"), cluster_data(max_users="1"))
    states = dict(UserHopsworksAssignment.objects.values_list("user__email", "state"))
    assert states == {"alice@example.com": "pending", "charlie@example.com": "waiting_for_capacity"}, (
        "one seat: the owner waiting longest gets it"
    )


BAD_INPUTS = [
    ({"name": ""}, "name", "required"),
    ({"name": "taken"}, "name", "exists already"),
    ({"api_url": "not a url"}, "api_url", "Enter a valid URL"),
    ({"api_key": ""}, "api_key", "required"),
    ({"max_users": "-1"}, "max_users", "greater than or equal to 0"),
    ({"max_users": "many"}, "max_users", "whole number"),
    ({"status": "exploded"}, "status", "valid choice"),
    ({"owner_label_key": "not a label!"}, "owner_label_key", "label key"),
    ({"kubeconfig_text": "clusters: [unclosed"}, "kubeconfig_text", "not valid YAML"),
    ({"kubeconfig_text": "apiVersion: v1\nkind: Config\n"}, "kubeconfig_text", "no contexts"),
    ({"kubeconfig_text": kubeconfig_build(server="ftp://nowhere", token="t")}, "kubeconfig_text", "server URL"),
    ({"api_url": "http://169.254.169.254/latest/meta-data/"}, "api_url", "link-local"),
    ({"api_url": "http://[fd00:ec2::254]/"}, "api_url", "link-local"),
    ({"api_url": "http://[::ffff:169.254.169.254]/"}, "api_url", "link-local"),
    ({"api_url": "http://metadata.google.internal/computeMetadata/v1/"}, "api_url", "metadata service"),
    ({"api_url": "http://0.0.0.0:8080/"}, "api_url", "not an address a cluster can have"),
    ({"kubeconfig_text": kubeconfig_build(server="https://169.254.169.254", token="t")}, "kubeconfig_text", "link-local"),
]


def test_clusters_on_private_networks_and_loopback_are_accepted(admin_client_for):
    for n, url in enumerate(["https://10.0.3.7:8181", "http://127.0.0.1:8103", "https://hopsworks.internal.example"]):
        response = admin_client_for.post(reverse("adminpanel:cluster_add"), cluster_data(name=f"c{n}", api_url=url))
        assert response.status_code == 302, response.context["form"].errors
    assert HopsworksCluster.objects.count() == 3


@pytest.mark.parametrize(("overrides", "field", "message"), BAD_INPUTS)
def test_bad_cluster_input_is_rerendered_with_the_field_error_and_changes_nothing(
    admin_client_for, make_cluster, overrides, field, message
):
    make_cluster("taken")
    before = list(HopsworksCluster.objects.values_list("id", "name", "api_url", "max_users", "api_key_encrypted"))

    response = admin_client_for.post(reverse("adminpanel:cluster_add"), cluster_data(**overrides))

    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert 'class="field has-error"' in response.content.decode()
    assert list(HopsworksCluster.objects.values_list("id", "name", "api_url", "max_users", "api_key_encrypted")) == before
    assert AuditEntry.objects.count() == 0


def test_kubeconfig_file_too_large_is_refused(admin_client_for):
    data = cluster_data(kubeconfig_text="")
    data["kubeconfig_file"] = SimpleUploadedFile("big.yaml", b"a: b\n" * 60_000)
    response = admin_client_for.post(reverse("adminpanel:cluster_add"), data)
    assert response.status_code == 400 and "kubeconfig_file" in response.context["form"].errors
    assert not HopsworksCluster.objects.exists()


def test_max_users_below_the_seats_taken_is_refused_on_edit(admin_client_for, make_cluster, seat, alice, charlie):
    cluster = make_cluster("eu-1", max_users=5)
    seat(alice, cluster)
    seat(charlie, cluster)
    response = admin_client_for.post(
        reverse("adminpanel:cluster_edit", args=[cluster.pk]), cluster_data(name="eu-1", api_key="", kubeconfig_text="", max_users="1")
    )
    assert response.status_code == 400 and "cannot be lower" in " ".join(response.context["form"].errors["max_users"])
    cluster.refresh_from_db()
    assert cluster.max_users == 5 and AuditEntry.objects.count() == 0
