import json, time, io
from decimal import Decimal
from django.test import Client
from django.utils import timezone
from django.core.files.uploadedfile import SimpleUploadedFile

XSS = '<script>alert("x")</script>'
def test_probe(world, settings):
    from usage.models import UsageDaily
    from clusters.models import HopsworksCluster
    from adminpanel.services import audit_record
    U = type(world.alice)
    U.objects.filter(pk=world.bob.pk).update(name=XSS)
    U.objects.filter(pk=world.alice.pk).update(name=XSS + "A")
    HopsworksCluster.objects.filter(pk=world.cluster.pk).update(name=XSS + "C", region=XSS + "R")
    UsageDaily.objects.create(user=world.alice, cluster=world.cluster, date=timezone.now().date(), namespace=XSS + "N", cpu_hours=1, gpu_hours=0, memory_gb_hours=0)
    from usage.models import CollectionRun
    CollectionRun.objects.filter(pk=world.run.pk).update(error=XSS + "E")
    a = Client(raise_request_exception=False); a.force_login(world.root)
    o = Client(raise_request_exception=False); o.force_login(world.alice)
    b = Client(raise_request_exception=False); b.force_login(world.bob)
    for c, p in [(o, "/dashboard/"), (o, "/team/"), (o, "/billing/"), (o, "/profile/"), (o, "/instance/card"), (b, "/dashboard/"), (b, "/team/membership/"), (b, "/team/leave/"), (o, f"/team/members/{world.bob.pk}/remove/"),
                 (a, "/admin47392/"), (a, "/admin47392/users/"), (a, f"/admin47392/users/{world.alice.pk}/"), (a, f"/admin47392/users/{world.bob.pk}/"), (a, "/admin47392/clusters/"), (a, f"/admin47392/clusters/{world.cluster.pk}/"), (a, "/admin47392/usage/"), (a, f"/admin47392/usage/runs/{world.run.pk}/"), (a, f"/admin47392/users/{world.alice.pk}/suspend/"), (a, f"/admin47392/clusters/{world.cluster.pk}/edit/"), (a, "/admin47392/audit/")]:
        r = c.get(p); body = r.content.decode()
        print("ESC", p, r.status_code, "RAW" if "<script>alert" in body else "ok", body.count("&lt;script&gt;"))
    # uploads
    base = {"name": "up1", "api_url": "https://hopsworks.example.com", "api_key": "k", "max_users": "1", "status": "active", "owner_label_key": "owner"}
    files = {
      "binary": b"\x89PNG\r\n\x1a\n\x00\x00",
      "big": b"a: b\n" * 60000,
      "list": b"- a\n- b\n",
      "bomb": b'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n',
      "python tag": b"!!python/object/apply:os.system ['echo pwned']\n",
      "exec": b"apiVersion: v1\nclusters: [{name: c, cluster: {server: 'https://k:6443'}}]\nusers: [{name: u, user: {token: t, exec: {command: /bin/sh, args: ['-c', 'id'], apiVersion: client.authentication.k8s.io/v1beta1}}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n",
      "authprov": b"apiVersion: v1\nclusters: [{name: c, cluster: {server: 'https://k:6443'}}]\nusers: [{name: u, user: {token: t, auth-provider: {name: gcp, config: {cmd-path: /bin/sh}}}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n",
      "filepath": b"apiVersion: v1\nclusters: [{name: c, cluster: {server: 'https://k:6443', certificate-authority: /etc/shadow}}]\nusers: [{name: u, user: {token: t, client-certificate: /etc/passwd, client-key: /etc/shadow}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n",
      "bombvalid": b"apiVersion: v1\nclusters: [{name: c, cluster: {server: 'https://k:6443'}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n" + b'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n',
      "nul": b"apiVersion: v1\x00\n",
      "utf16": "apiVersion: v1\n".encode("utf-16"),
    }
    for k, content in files.items():
        t = time.perf_counter()
        r = a.post("/admin47392/clusters/new/", {**base, "name": "up-" + k, "kubeconfig_file": SimpleUploadedFile("kubeconfig", content)})
        body = r.content.decode()
        import re
        errs = dict(r.context["form"].errors) if r.context else body[:200]
        print("UP", k, r.status_code, round(time.perf_counter()-t, 2), errs)
    for cl in HopsworksCluster.objects.all():
        t = time.perf_counter(); r = a.get(f"/admin47392/clusters/{cl.pk}/"); print("DETAIL", cl.name, r.status_code, round(time.perf_counter()-t, 2))
    print("clusters", HopsworksCluster.objects.values_list("name", flat=True))
    assert 0
