"""The cluster form: kubeconfig uploaded or pasted, bad input refused with a clear error, nothing saved."""

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile

from clusters.forms import ClusterForm
from clusters.kubeconfigs import kubeconfig_build
from clusters.models import HopsworksCluster

GOOD = kubeconfig_build(server="https://k8s.example.com:6443", token="token-for-tests-9876")


def form_data(**overrides):
    data = {"name": "eu-1", "api_url": "https://eu1.hopsworks.example", "api_key": "admin-key-123456789",
            "region": "eu-north-1", "max_users": "20", "status": "active", "owner_label_key": "owner"}
    data.update(overrides)
    return data


def with_changes(change):
    config = yaml.safe_load(GOOD)
    change(config)
    return yaml.safe_dump(config)


BAD_KUBECONFIGS = {
    "not yaml": ("clusters: [unclosed\n  - x: {", "not valid YAML"),
    "a plain string": ("just some text", "must be a YAML mapping"),
    "no contexts": (with_changes(lambda c: c.update(contexts=[])), "no contexts"),
    "no current context": (with_changes(lambda c: c.pop("current-context")), "no `current-context`"),
    "current context missing": (with_changes(lambda c: c.update({"current-context": "elsewhere"})), "'elsewhere' is not among"),
    "no server": (with_changes(lambda c: c["clusters"][0]["cluster"].pop("server")), "no server URL"),
    "server not a URL": (with_changes(lambda c: c["clusters"][0]["cluster"].update(server=6443)), "no server URL"),
    "contexts not a list": (with_changes(lambda c: c.update(contexts="hopsworks")), "`contexts` must be a list"),
    "cluster not a mapping": (with_changes(lambda c: c["clusters"][0].update(cluster=["x"])), "needs a `cluster:` mapping"),
    "no credentials": (with_changes(lambda c: c["users"][0].update(user={})), "no credentials"),
    "exec plugin only": (with_changes(lambda c: c["users"][0].update(user={"exec": {"command": "aws"}})), "no credentials"),
}


@pytest.mark.parametrize("case", BAD_KUBECONFIGS, ids=list(BAD_KUBECONFIGS))
def test_a_bad_pasted_kubeconfig_is_refused_with_a_clear_error_and_nothing_is_saved(db, case):
    text, message = BAD_KUBECONFIGS[case]
    form = ClusterForm(form_data(kubeconfig_text=text))
    assert not form.is_valid()
    assert message in " ".join(form.errors["kubeconfig_text"])
    assert not HopsworksCluster.objects.exists()


def test_a_bad_uploaded_kubeconfig_is_reported_on_the_file_field(db):
    upload = SimpleUploadedFile("config", b"contexts: 3\ncurrent-context: x\n")
    form = ClusterForm(form_data(), files={"kubeconfig_file": upload})
    assert not form.is_valid() and "`contexts` must be a list" in form.errors["kubeconfig_file"][0]
    assert not HopsworksCluster.objects.exists()


def test_a_five_megabyte_file_is_refused_before_it_is_parsed(db):
    upload = SimpleUploadedFile("huge.yaml", b"a: b\n" * (1024 * 1024))
    form = ClusterForm(form_data(), files={"kubeconfig_file": upload})
    assert not form.is_valid()
    assert form.errors["kubeconfig_file"] == ["The file is 5.0 MB; a kubeconfig is at most 256 KB. Is this the right file?"]
    assert not HopsworksCluster.objects.exists()


def test_a_binary_file_is_refused(db):
    upload = SimpleUploadedFile("kubeconfig.gz", b"\x1f\x8b\x08\x00\xff\xfe")
    form = ClusterForm(form_data(), files={"kubeconfig_file": upload})
    assert not form.is_valid() and "not text" in form.errors["kubeconfig_file"][0]


def test_file_and_pasted_text_together_are_refused(db):
    upload = SimpleUploadedFile("config", GOOD.encode())
    form = ClusterForm(form_data(kubeconfig_text=GOOD), files={"kubeconfig_file": upload})
    assert not form.is_valid() and "not both" in form.errors["kubeconfig_text"][0]


def test_a_bad_kubeconfig_on_edit_leaves_the_stored_cluster_unchanged(db):
    form = ClusterForm(form_data(kubeconfig_text=GOOD))
    assert form.is_valid(), form.errors
    cluster = form.save()
    before = HopsworksCluster.objects.values().get(pk=cluster.pk)

    edit = ClusterForm(form_data(kubeconfig_text="not: [yaml", max_users="30", api_key=""), instance=cluster)
    assert not edit.is_valid()
    assert HopsworksCluster.objects.values().get(pk=cluster.pk) == before


def test_a_valid_upload_is_saved_encrypted_and_blank_secrets_on_edit_keep_the_stored_ones(db):
    form = ClusterForm(form_data(), files={"kubeconfig_file": SimpleUploadedFile("config", GOOD.encode())})
    assert form.is_valid(), form.errors
    cluster = form.save()
    assert cluster.kubeconfig == GOOD and cluster.api_key == "admin-key-123456789"

    edit = ClusterForm(form_data(api_key="", max_users="25", region="eu-west-1"), instance=cluster)
    assert edit.is_valid(), edit.errors
    edit.save()
    cluster = HopsworksCluster.objects.get(pk=cluster.pk)
    assert (cluster.max_users, cluster.region) == (25, "eu-west-1")
    assert cluster.kubeconfig == GOOD and cluster.api_key == "admin-key-123456789"


@pytest.mark.parametrize("field,value,message", [
    ("api_url", "not a url", "Enter a valid URL."),
    ("max_users", "-1", "greater than or equal to 0"),
    ("owner_label_key", "has spaces", "Not a Kubernetes label key"),
    ("status", "exploded", "Select a valid choice"),
    ("api_key", "", "This field is required."),
])
def test_other_bad_fields_are_refused_with_their_own_error(db, field, value, message):
    form = ClusterForm(form_data(**{field: value}))
    assert not form.is_valid() and message in " ".join(form.errors[field])
    assert not HopsworksCluster.objects.exists()


def test_a_duplicate_cluster_name_is_refused(db):
    first = ClusterForm(form_data())
    assert first.is_valid()
    first.save()
    form = ClusterForm(form_data(name="EU-1"))
    assert not form.is_valid() and "exists already" in form.errors["name"][0]
