"""Whose usage is it: pod owner label → user by `hopsworks_username`; for owners we do not know,
the creator of the pod's project (Hopsworks `/admin/projects?expand=creator`). What still has no
user is kept per owner label for admins — counted, never silently dropped."""

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from accounts.models import User
from clusters.hopsworks_client import HopsworksError, project_creators

from .collection import Usage

logger = logging.getLogger(__name__)


@dataclass
class Attribution:
    by_user: dict = field(default_factory=dict)  # {(user_id, namespace): Usage}
    unknown: dict = field(default_factory=dict)  # {owner label: Usage}
    unknown_namespaces: dict = field(default_factory=dict)  # {owner label: [namespace, …]}
    by_creator_pods: int = 0
    creators_error: str = ""

    @property
    def unknown_pods(self):
        return sum(u.pods for u in self.unknown.values())

    def report(self):
        return {
            "unknown_owners": {
                owner: {
                    "pods": usage.pods, "cpu_hours": str(usage.cpu_hours), "gpu_hours": str(usage.gpu_hours),
                    "memory_gb_hours": str(usage.memory_gb_hours), "namespaces": self.unknown_namespaces[owner],
                }
                for owner, usage in sorted(self.unknown.items())
            },
            "pods_attributed_to_project_creator": self.by_creator_pods,
            "project_creators_error": self.creators_error,
        }


def _user_ids(usernames):
    usernames = {u for u in usernames if u}
    if not usernames:
        return {}
    return dict(User.objects.filter(hopsworks_username__in=usernames).values_list("hopsworks_username", "id"))


def _namespace_creators(cluster, attribution):
    try:
        return {ns: info.get("username", "") for ns, info in project_creators(cluster=cluster).items()}
    except HopsworksError as exc:
        logger.warning("cluster %s: project creators unavailable: %s", cluster.pk, exc)
        attribution.creators_error = str(exc)
        return {}


def usage_attribute(*, cluster, usage):
    """Attribute {(owner label, namespace): Usage} to users (two queries and at most one
    Hopsworks listing, whatever the number of pods or owners)."""
    attribution = Attribution()
    users = _user_ids(owner for owner, _ in usage)
    creators, creator_users = {}, {}
    if any(owner not in users for owner, _ in usage):
        creators = _namespace_creators(cluster, attribution)
        creator_users = _user_ids(creators.get(ns) for owner, ns in usage if owner not in users)
    by_user = defaultdict(Usage)
    unknown = defaultdict(Usage)
    for (owner, namespace), slot_usage in sorted(usage.items()):
        user_id = users.get(owner)
        if user_id is None:
            user_id = creator_users.get(creators.get(namespace))
            if user_id is not None:
                attribution.by_creator_pods += slot_usage.pods
        if user_id is None:
            unknown[owner].add(slot_usage)
            attribution.unknown_namespaces.setdefault(owner, []).append(namespace)
            continue
        by_user[(user_id, namespace)].add(slot_usage)
    attribution.by_user = dict(by_user)
    attribution.unknown = dict(unknown)
    return attribution
