"""Kubernetes label and field selectors, parsed the way the API server does.

Label selectors: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`; comma = AND.
Field selectors (pods): `field=v`, `field==v`, `field!=v` on the fields the API server supports.
"""

import re

LABEL_KEY = re.compile(r"^([a-z0-9A-Z.\-]+/)?[A-Za-z0-9]([A-Za-z0-9_.\-]*[A-Za-z0-9])?$")
LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([A-Za-z0-9_.\-]*[A-Za-z0-9])?)?$")
SET_TERM = re.compile(r"^(?P<key>\S+)\s+(?P<op>in|notin)\s+\((?P<values>[^()]*)\)$")
POD_FIELDS = {
    "metadata.name": lambda pod: pod["metadata"]["name"],
    "metadata.namespace": lambda pod: pod["metadata"]["namespace"],
    "status.phase": lambda pod: pod["status"]["phase"],
    "spec.nodeName": lambda pod: pod["spec"].get("nodeName", ""),
    "spec.restartPolicy": lambda pod: pod["spec"].get("restartPolicy", ""),
}
METRICS_FIELDS = {
    "metadata.name": lambda item: item["metadata"]["name"],
    "metadata.namespace": lambda item: item["metadata"]["namespace"],
}


class SelectorError(ValueError):
    """The selector does not parse; the API server answers 400 BadRequest."""


def split_terms(selector):
    """Split on commas that are not inside `( … )`."""
    terms, depth, current = [], 0, []
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            terms.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    terms.append("".join(current).strip())
    return [t for t in terms if t]


def _check_key(key):
    if not LABEL_KEY.match(key):
        raise SelectorError(f'unable to parse requirement: invalid label key "{key}"')
    return key


def _check_value(value):
    if len(value) > 63 or not LABEL_VALUE.match(value):
        raise SelectorError(f'unable to parse requirement: invalid label value: "{value}"')
    return value


def parse_label_selector(selector):
    """A list of (key, op, values) requirements; op in =, !=, in, notin, exists, !exists."""
    requirements = []
    for term in split_terms(selector or ""):
        match = SET_TERM.match(term)
        if match:
            values = {_check_value(v.strip()) for v in match["values"].split(",") if v.strip()}
            requirements.append((_check_key(match["key"]), match["op"], values))
        elif "!=" in term:
            key, value = term.split("!=", 1)
            requirements.append((_check_key(key.strip()), "!=", {_check_value(value.strip())}))
        elif "=" in term:
            key, value = term.split("==", 1) if "==" in term else term.split("=", 1)
            requirements.append((_check_key(key.strip()), "=", {_check_value(value.strip())}))
        elif term.startswith("!"):
            requirements.append((_check_key(term[1:].strip()), "!exists", set()))
        else:
            requirements.append((_check_key(term), "exists", set()))
    return requirements


def labels_match(requirements, labels):
    for key, op, values in requirements:
        present = key in labels
        if op == "=" and labels.get(key) not in values:
            return False
        if op in ("!=", "notin") and present and labels[key] in values:
            return False
        if op == "in" and labels.get(key) not in values:
            return False
        if op == "exists" and not present:
            return False
        if op == "!exists" and present:
            return False
    return True


def equality_hint(requirements):
    """(key, value) of one equality requirement, to look a label up in an index; or None."""
    for key, op, values in requirements:
        if op == "=" or (op == "in" and len(values) == 1):
            return key, next(iter(values))
    return None


def parse_field_selector(selector, fields):
    """A list of (getter, op, value); unknown fields are refused like the API server does."""
    requirements = []
    for term in split_terms(selector or ""):
        if "!=" in term:
            name, value, op = *term.split("!=", 1), "!="
        elif "=" in term:
            name, value = term.split("==", 1) if "==" in term else term.split("=", 1)
            op = "="
        else:
            raise SelectorError(f'invalid selector: \'{term}\'; can\'t understand \'{term}\'')
        name = name.strip()
        if name not in fields:
            raise SelectorError(f'field label not supported: {name}')
        requirements.append((fields[name], op, value.strip()))
    return requirements


def fields_match(requirements, obj):
    for getter, op, value in requirements:
        if (getter(obj) == value) != (op == "="):
            return False
    return True
