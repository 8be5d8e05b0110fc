"""Request parameters as Stripe sees them: bracket form decoding, and validation against the
installed stripe-python's `stripe.params` TypedDicts (generated from Stripe's OpenAPI spec).

Unknown parameters fail with `parameter_unknown`, missing ones with `parameter_missing`, as live.
"""

import sys
import typing
from decimal import Decimal, InvalidOperation

import typing_extensions
from stripe._request_options import RequestOptions

REQUEST_OPTION_KEYS = frozenset(RequestOptions.__annotations__)
_EVAL_NAMES = {name: getattr(typing_extensions, name) for name in (
    "Literal", "NotRequired", "Required", "TypedDict", "List", "Dict", "Union", "Optional", "Mapping", "Any",
)}
_hints_cache = {}


class ParamError(Exception):
    """A request parameter problem, reported the way Stripe reports it."""

    def __init__(self, message, *, param, code=None):
        super().__init__(message)
        self.message, self.param, self.code = message, param, code


def decode_form(pairs):
    """[('items[0][price]', 'p'), ...] → {'items': [{'price': 'p'}]}: Stripe's bracket encoding."""
    root = {}
    for key, value in pairs:
        path = _key_path(key)
        node = root
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ParamError(f"Invalid array or hash: {key}", param=key, code="parameter_invalid")
        node[path[-1]] = value
    return _lists_from_indexes(root)


def _key_path(key):
    head, _, rest = key.partition("[")
    parts = [head]
    while rest:
        inner, _, rest = rest.partition("]")
        parts.append(inner)
        rest = rest[1:] if rest.startswith("[") else rest
    return parts


def _lists_from_indexes(node):
    if not isinstance(node, dict):
        return node
    converted = {k: _lists_from_indexes(v) for k, v in node.items()}
    if converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


def validate(params_class, params):
    """Raise ParamError if `params` has an unknown key, lacks a required one or a wrong value."""
    if params_class is None:
        return
    _validate_typed_dict(params_class, params, prefix="", top=True)


def _hints(cls):
    if cls not in _hints_cache:
        module = sys.modules[cls.__module__].__dict__
        hints = {}
        for name, annotation in cls.__annotations__.items():
            hints[name] = _resolve(annotation, module)
        _hints_cache[cls] = hints
    return _hints_cache[cls]


def _resolve(annotation, module):
    if isinstance(annotation, typing.ForwardRef):
        annotation = annotation.__forward_arg__
    if isinstance(annotation, str):
        try:
            annotation = eval(annotation, {**module, **_EVAL_NAMES})  # noqa: S307 - stripe's own type text
        except Exception:
            return typing.Any
    origin = typing_extensions.get_origin(annotation)
    if origin in (typing_extensions.NotRequired, typing_extensions.Required):
        return _resolve(typing_extensions.get_args(annotation)[0], module)
    return annotation


def _validate_typed_dict(cls, value, *, prefix, top=False):
    if not isinstance(value, dict):
        raise ParamError(f"Invalid object: {prefix or 'params'} must be a hash.", param=prefix,
                         code="parameter_invalid")
    required = set(cls.__required_keys__)
    allowed = set(cls.__required_keys__) | set(cls.__optional_keys__)
    if top:
        allowed -= REQUEST_OPTION_KEYS
        required -= REQUEST_OPTION_KEYS
    for key in value:
        if key not in allowed:
            name = _name(prefix, key)
            raise ParamError(f"Received unknown parameter: {name}", param=name, code="parameter_unknown")
    for key in sorted(required):
        if key not in value:
            name = _name(prefix, key)
            raise ParamError(f"Missing required param: {name}.", param=name, code="parameter_missing")
    hints = _hints(cls)
    module = sys.modules[cls.__module__].__dict__
    for key, item in value.items():
        _validate_value(hints.get(key, typing.Any), item, name=_name(prefix, key), module=module)


def _name(prefix, key):
    return f"{prefix}[{key}]" if prefix else key


def _validate_value(annotation, value, *, name, module):
    annotation = _resolve(annotation, module)
    if annotation is typing.Any or annotation is None:
        return
    if typing_extensions.is_typeddict(annotation):
        _validate_typed_dict(annotation, value, prefix=name)
        return
    origin = typing_extensions.get_origin(annotation)
    args = typing_extensions.get_args(annotation)
    if origin is typing.Union or (origin is not None and str(origin) == "types.UnionType"):
        _validate_union(args, value, name=name, module=module)
    elif origin is typing_extensions.Literal:
        if value not in args:
            choices = ", ".join(repr(a) for a in args if a != "")
            raise ParamError(f"Invalid {name}: must be one of {choices}", param=name, code="parameter_invalid")
    elif origin in (list, typing.List):
        if value == "":
            return
        if not isinstance(value, list):
            raise ParamError(f"Invalid array: {name}", param=name, code="parameter_invalid")
        for index, item in enumerate(value):
            _validate_value(args[0] if args else typing.Any, item, name=f"{name}[{index}]", module=module)
    elif origin in (dict, typing.Dict, typing.Mapping) or annotation in (dict, typing.Dict):
        if value != "" and not isinstance(value, dict):
            raise ParamError(f"Invalid hash: {name}", param=name, code="parameter_invalid")
    else:
        _validate_scalar(annotation, value, name=name)


def _validate_union(args, value, *, name, module):
    # `Literal[...] | str` is the SDK's forward-compatibility escape hatch; the API itself only
    # takes the listed values (this is what makes e.g. the old `ui_mode=hosted` fail).
    resolved = [_resolve(a, module) for a in args]
    closed = any(
        typing_extensions.get_origin(a) is typing_extensions.Literal and any(v != "" for v in typing_extensions.get_args(a))
        for a in resolved
    )
    if closed:
        args = [a for a in resolved if a is not str]
    last_error = None
    for option in args:
        try:
            _validate_value(option, value, name=name, module=module)
            return
        except ParamError as exc:
            last_error = exc
    if last_error:
        raise last_error


def _validate_scalar(annotation, value, *, name):
    if isinstance(value, (dict, list)):
        raise ParamError(f"Invalid {name}: expected a single value", param=name, code="parameter_invalid")
    if annotation is bool and value not in ("true", "false"):
        raise ParamError(f"Invalid boolean: {value}", param=name, code="parameter_invalid_boolean")
    if annotation is int:
        try:
            int(value)
        except ValueError:
            raise ParamError(f"Invalid integer: {value}", param=name, code="parameter_invalid_integer") from None
    if annotation in (Decimal, float):
        try:
            Decimal(value)
        except InvalidOperation:
            raise ParamError(f"Invalid decimal: {value}", param=name, code="parameter_invalid_decimal") from None
