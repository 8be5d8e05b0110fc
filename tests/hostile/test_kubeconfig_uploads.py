"""Bad kubeconfig uploads (and pastes) in the admin's cluster form: refused beside the field with
what to fix, nothing stored; on edit the stored kubeconfig stays as it was."""

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from .test_bad_form_input import assert_field_error

CLUSTER = {"name": "uploaded-1", "api_url": "https://hopsworks.example.com", "api_key": "hw-key-1", "max_users": "5",
           "status": "active", "owner_label_key": "owner"}


def kubeconfig(*, user=None, cluster=None, **top):
    config = {
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": "https://k8s.example.com:6443", **(cluster or {})}}],
        "users": [{"name": "u", "user": {"token": "kube-token-123", **(user or {})}}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "x",
    }
    config.update(top)
    return yaml.safe_dump(config).encode()


BILLION_LAUGHS = b'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + b"".join(
    f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n".encode() for p, n in zip("abcdefgh", "bcdefghi"))
UNSAFE = "may not run programs or read files on this server"

UPLOADS = {
    "a PNG": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "The file is not text (UTF-8)"),
    "UTF-16 text": ("apiVersion: v1\n".encode("utf-16"), "The file is not text (UTF-8)"),
    "an empty file": (b"", "The submitted file is empty."),
    "only blanks": (b"   \n\n", "The kubeconfig is empty."),
    "300 KB": (b"# padding\n" * 30_000, "a kubeconfig is at most 256 KB"),
    "3 MB": (b"x" * 3_000_000, "a kubeconfig is at most 256 KB"),
    "a YAML list": (b"- a\n- b\n", "must be a YAML mapping"),
    "a YAML scalar": (b"hello\n", "must be a YAML mapping"),
    "broken YAML": (b"clusters: [\n  {name: c\n", "not valid YAML (line"),
    "a Python object tag": (b"!!python/object/apply:os.system ['touch /tmp/pwned']\n", "not valid YAML"),
    "a NUL byte": (b"apiVersion: v1\x00\n", "not valid YAML"),
    "a billion laughs": (BILLION_LAUGHS, "has no contexts"),
    "no current context": (kubeconfig(**{"current-context": ""}), "has no `current-context`"),
    "a current context that is not there": (kubeconfig(**{"current-context": "prod"}), "is not among"),
    "contexts that are not a list": (kubeconfig(contexts={"x": {}}), "must be a list"),
    "an undefined cluster": (kubeconfig(clusters=[]), "which is not defined"),
    "an ftp server": (kubeconfig(cluster={"server": "ftp://k8s.example.com"}), "has no server URL"),
    "a user without credentials": (kubeconfig(user={"token": ""}), "has no credentials"),
    "an exec plugin beside the token": (kubeconfig(user={"exec": {"command": "/bin/sh", "args": ["-c", "id"]}}), UNSAFE),
    "an auth provider beside the token": (kubeconfig(user={"auth-provider": {"name": "gcp", "config": {"cmd-path": "/bin/sh"}}}), UNSAFE),
    "a token file": (kubeconfig(user={"tokenFile": "/var/run/secrets/token"}), UNSAFE),
    "client certificate files": (kubeconfig(user={"client-certificate": "/etc/passwd", "client-key": "/etc/shadow"}), UNSAFE),
    "a certificate authority file": (kubeconfig(cluster={"certificate-authority": "/etc/ssl/private/key.pem"}), UNSAFE),
}


def admin(world):
    client = Client(raise_request_exception=False)
    client.force_login(world.root)
    return client


@pytest.mark.parametrize("case", UPLOADS)
def test_a_bad_kubeconfig_upload_is_refused_with_what_to_fix(case, world, unchanged):
    content, message = UPLOADS[case]
    client = admin(world)
    with unchanged():
        response = client.post("/admin47392/clusters/new/",
                               {**CLUSTER, "kubeconfig_file": SimpleUploadedFile("config", content)})
    assert_field_error(response, "kubeconfig_file", message)


@pytest.mark.parametrize("case", ["broken YAML", "an exec plugin beside the token", "client certificate files"])
def test_a_bad_pasted_kubeconfig_is_refused_the_same_way(case, world, unchanged):
    content, message = UPLOADS[case]
    client = admin(world)
    with unchanged():
        response = client.post("/admin47392/clusters/new/", {**CLUSTER, "kubeconfig_text": content.decode()})
    assert_field_error(response, "kubeconfig_text", message)


def test_a_pasted_kubeconfig_longer_than_256_kb_is_refused(world, unchanged):
    client = admin(world)
    with unchanged():
        response = client.post("/admin47392/clusters/new/", {**CLUSTER, "kubeconfig_text": "#" * (256 * 1024 + 1)})
    assert_field_error(response, "kubeconfig_text", "longer than 256 KB")


def test_a_file_and_a_paste_together_are_refused(world, unchanged):
    client = admin(world)
    with unchanged():
        response = client.post("/admin47392/clusters/new/", {
            **CLUSTER, "kubeconfig_file": SimpleUploadedFile("config", kubeconfig()), "kubeconfig_text": kubeconfig().decode(),
        })
    assert_field_error(response, "kubeconfig_text", "not both")


def test_a_bad_kubeconfig_on_edit_keeps_the_stored_one(world, unchanged):
    stored = world.cluster.kubeconfig_dict()
    data = {**CLUSTER, "name": world.cluster.name, "api_key": "",
            "kubeconfig_file": SimpleUploadedFile("config", UPLOADS["an exec plugin beside the token"][0])}
    client = admin(world)
    with unchanged():
        response = client.post(f"/admin47392/clusters/{world.cluster.pk}/edit/", data)
    assert_field_error(response, "kubeconfig_file", UNSAFE)
    world.cluster.refresh_from_db()
    assert world.cluster.kubeconfig_dict() == stored


def test_more_than_a_hundred_files_in_one_request_is_a_400_page(world, unchanged):
    files = {f"kubeconfig_file_{i}": SimpleUploadedFile(f"config{i}", b"a: b\n") for i in range(101)}
    client = admin(world)
    with unchanged():
        response = client.post("/admin47392/clusters/new/", {**CLUSTER, **files})
    assert response.status_code == 400
    assert "too large or malformed" in response.content.decode()
