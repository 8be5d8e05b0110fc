"""Addresses a cluster may not point at: this server would call them with the cluster's secrets
("test connection", provisioning, collection). Loopback and private networks stay allowed —
clusters run on private networks, and the sandbox on loopback."""

import ipaddress
from urllib.parse import urlparse

# Cloud instance-metadata services answer by name as well as at 169.254.169.254 / fd00:ec2::254.
METADATA_NAMES = {"metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal"}
METADATA_ADDRESSES = {ipaddress.ip_address("fd00:ec2::254"), ipaddress.ip_address("100.100.100.200")}


def address_refusal(url):
    """Why the host of `url` is refused (a sentence), or None when it may be called."""
    try:
        host = (urlparse(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return "This is not a valid URL."
    if host in METADATA_NAMES:
        return f"{host} is a cloud metadata service, not a cluster."
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None  # a name: resolved when called, like any cluster address
    if getattr(address, "ipv4_mapped", None):
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES or address.is_link_local:
        return f"{host} is a link-local address (cloud metadata lives there), not a cluster."
    if address.is_unspecified or address.is_multicast or address.is_reserved:
        return f"{host} is not an address a cluster can have."
    return None
