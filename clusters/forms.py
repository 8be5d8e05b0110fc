"""The cluster form (admin panel: add and edit a cluster), with the kubeconfig uploaded or pasted."""

import re

from django import forms
from django.core.validators import URLValidator

from .addresses import address_refusal
from .kubeconfigs import KUBECONFIG_MAX_BYTES, KubeconfigInvalid, kubeconfig_parse
from .models import HopsworksCluster
from .selectors import seats_taken_on
from .services import cluster_create, cluster_update

LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")


def _size(n):
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


class ClusterForm(forms.Form):
    """Add (no `instance`) or edit a cluster. Secrets left blank on edit keep their stored value;
    they are never rendered back. `save()` goes through clusters.services."""

    name = forms.CharField(max_length=100)
    api_url = forms.URLField(label="Hopsworks API URL", max_length=500, assume_scheme="https",
                             validators=[URLValidator(schemes=["http", "https"])],  # not ftp://
                             help_text="The cluster's address, e.g. https://eu1.cloud.hopsworks.ai")
    api_key = forms.CharField(label="API key", required=False, strip=True, max_length=1000,
                              widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}))
    region = forms.CharField(max_length=64, required=False)
    max_users = forms.IntegerField(label="Max users", min_value=0, max_value=100_000)
    status = forms.ChoiceField(choices=HopsworksCluster.Status.choices, initial=HopsworksCluster.Status.ACTIVE)
    owner_label_key = forms.CharField(label="Owner pod label", max_length=253, initial="owner",
                                      help_text="The pod label holding the owner's Hopsworks username.")
    kubeconfig_file = forms.FileField(label="Kubeconfig file", required=False)
    kubeconfig_text = forms.CharField(label="…or paste the kubeconfig", required=False, strip=False,
                                      max_length=KUBECONFIG_MAX_BYTES, widget=forms.Textarea(attrs={"rows": 8}),
                                      error_messages={"max_length": f"The pasted kubeconfig is longer than {KUBECONFIG_MAX_BYTES // 1024} KB; is this the right file?"})

    def __init__(self, *args, instance=None, **kwargs):
        self.instance = instance
        if instance is not None:
            kwargs.setdefault("initial", {
                "name": instance.name, "api_url": instance.api_url, "region": instance.region,
                "max_users": instance.max_users, "status": instance.status,
                "owner_label_key": instance.owner_label_key,
            })
        super().__init__(*args, **kwargs)
        if instance is None:
            self.fields["api_key"].required = True
        else:
            masked = instance.api_key_masked or "none"
            self.fields["api_key"].help_text = f"Stored: {masked}. Leave blank to keep it."
            summary = instance.kubeconfig_summary()
            stored = f"context {summary['context']} on {summary['server']}, {summary['credential']}" if summary else "none"
            self.fields["kubeconfig_file"].help_text = f"Stored: {stored}. Leave both blank to keep it."

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        others = HopsworksCluster.objects.filter(name__iexact=name)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError("A cluster with this name exists already.")
        return name

    def clean_api_url(self):
        url = self.cleaned_data["api_url"]
        refusal = address_refusal(url)
        if refusal:
            raise forms.ValidationError(refusal)
        return url

    def clean_owner_label_key(self):
        key = self.cleaned_data["owner_label_key"].strip()
        if not LABEL_KEY.match(key):
            raise forms.ValidationError("Not a Kubernetes label key (e.g. owner or hopsworks.ai/user).")
        return key

    def clean_max_users(self):
        max_users = self.cleaned_data["max_users"]
        if self.instance is not None:
            taken = seats_taken_on(cluster=self.instance)
            if max_users < taken:
                raise forms.ValidationError(f"{taken} users are on this cluster: max users cannot be lower.")
        return max_users

    def clean_kubeconfig_file(self):
        upload = self.cleaned_data.get("kubeconfig_file")
        if not upload:
            return None
        if upload.size > KUBECONFIG_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {_size(upload.size)}; a kubeconfig is at most {_size(KUBECONFIG_MAX_BYTES)}. Is this the right file?"
            )
        try:
            text = upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise forms.ValidationError("The file is not text (UTF-8): upload the kubeconfig YAML.") from None
        if not text.strip():  # an uploaded file of blanks is a mistake, not "keep the stored one"
            raise forms.ValidationError("The kubeconfig is empty.")
        return text

    def clean(self):
        cleaned = super().clean()
        from_file, from_text = cleaned.get("kubeconfig_file"), cleaned.get("kubeconfig_text") or ""
        if from_file is not None and from_text.strip():
            self.add_error("kubeconfig_text", "Upload a file or paste the kubeconfig, not both.")
            return cleaned
        field, text = ("kubeconfig_file", from_file) if from_file is not None else ("kubeconfig_text", from_text)
        cleaned["kubeconfig"] = None  # keep what is stored
        if text and text.strip():
            try:
                kubeconfig_parse(text)
            except KubeconfigInvalid as exc:
                self.add_error(field, str(exc))
            else:
                cleaned["kubeconfig"] = text
        return cleaned

    def save(self):
        """Create or update the cluster through the services; returns it."""
        data = self.cleaned_data
        fields = {k: data[k] for k in ("name", "api_url", "region", "max_users", "status", "owner_label_key")}
        if self.instance is None:
            return cluster_create(api_key=data["api_key"], kubeconfig=data["kubeconfig"] or "", **fields)
        return cluster_update(cluster=self.instance, api_key=data["api_key"] or None, kubeconfig=data["kubeconfig"], **fields)
