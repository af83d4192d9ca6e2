"""The type stub `_native.pyi` matches the native module exactly: every name, every method,
every parameter (name, kind, default or not), properties and static methods; the keyword
settings match core's settings table (names, order, the type of each kind) and the `Stats`
properties match core's field list."""

import ast
import inspect
from pathlib import Path
from typing import Dict, List, Tuple

import officernd_auth
from officernd_auth import _native

STUB = Path(officernd_auth.__file__).with_name("_native.pyi")
TREE = ast.parse(STUB.read_text())
# Dunder methods whose presence in the stub documents behaviour (equality) or construction.
SPECIAL = {"__new__", "__eq__", "__hash__"}
Param = Tuple[str, inspect._ParameterKind, bool]
# How the stub spells each kind of core setting (`_native._SETTINGS`: core's table, name and kind).
KIND_ANNOTATION = {
    "text": "Optional[str]",
    "secret": "Optional[str]",
    "scopes": "Optional[_Scopes]",
    "duration": "Optional[_Seconds]",
    "count": "Optional[int]",
    "flag": "Optional[bool]",
    "path": "Optional[_Path]",
}


def stub_params(fn: ast.FunctionDef, drop_first: bool) -> List[Param]:
    a = fn.args
    out: List[Param] = []
    positional = a.posonlyargs + a.args
    defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    for i, (arg, default) in enumerate(zip(positional, defaults)):
        kind = inspect.Parameter.POSITIONAL_ONLY if i < len(a.posonlyargs) else inspect.Parameter.POSITIONAL_OR_KEYWORD
        out.append((arg.arg, kind, default is not None))
    if a.vararg:
        out.append((a.vararg.arg, inspect.Parameter.VAR_POSITIONAL, False))
    for arg, default in zip(a.kwonlyargs, a.kw_defaults):
        out.append((arg.arg, inspect.Parameter.KEYWORD_ONLY, default is not None))
    if a.kwarg:
        out.append((a.kwarg.arg, inspect.Parameter.VAR_KEYWORD, False))
    return out[1:] if drop_first else out


def runtime_params(obj: object, drop_self: bool) -> List[Param]:
    params = list(inspect.signature(obj).parameters.values())  # type: ignore[arg-type]
    if drop_self:
        params = params[1:]
    # `self` is positional-only at runtime; the others keep their kind. `**settings` takes core's
    # settings by name: the stub spells them out as keyword-only parameters defaulting to None.
    out: List[Param] = []
    for p in params:
        if p.kind is inspect.Parameter.VAR_KEYWORD and p.name == "settings":
            named = {q.name for q in params}
            kw = inspect.Parameter.KEYWORD_ONLY
            out += [(name, kw, True) for name, _ in _native._SETTINGS if name not in named]
        else:
            out.append((p.name, p.kind, p.default is not inspect.Parameter.empty))
    return out


def decorators(fn: ast.FunctionDef) -> List[str]:
    return [d.id for d in fn.decorator_list if isinstance(d, ast.Name)]


def annotations(node: ast.ClassDef) -> "set[str]":
    return {n.target.id for n in node.body if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)}


def stub_toplevel() -> Dict[str, ast.stmt]:
    names: Dict[str, ast.stmt] = {}
    for node in TREE.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names[node.name] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = node
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    names[t.id] = node
    return {k: v for k, v in names.items() if not k.startswith("_") or k == "__version__"}


def test_module_names_match():
    runtime = {n for n in dir(_native) if not n.startswith("_") or n == "__version__"}
    assert set(stub_toplevel()) == runtime
    assert set(_native.__all__) == runtime


def test_classes_match():
    for name, node in stub_toplevel().items():
        if not isinstance(node, ast.ClassDef):
            continue
        cls = getattr(_native, name)
        assert isinstance(cls, type), name
        stub_bases = [b.id for b in node.bases if isinstance(b, ast.Name)]
        assert [b.__name__ for b in cls.__bases__] == (stub_bases or ["object"]), name

        members = {n.name: n for n in node.body if isinstance(n, ast.FunctionDef)}
        public = {k: v for k, v in vars(cls).items() if not k.startswith("_")}
        routines = {
            k for k, v in public.items() if callable(v) or inspect.isdatadescriptor(v) or isinstance(v, staticmethod)
        }
        assert set(k for k in members if k not in SPECIAL) == routines, name
        # Plain class attributes (exception defaults) are declared as annotations here or in a base.
        declared = annotations(node)
        for base in stub_bases:
            base_node = stub_toplevel().get(base)
            if isinstance(base_node, ast.ClassDef):
                declared |= annotations(base_node)
        assert set(public) - routines <= declared, name
        for attr in annotations(node):
            assert hasattr(cls, attr), f"{name}.{attr}"

        for mname, fn in members.items():
            raw = inspect.getattr_static(cls, mname)
            decos = decorators(fn)
            if mname == "__eq__":
                assert cls.__eq__ is not object.__eq__, name
            elif mname == "__hash__":
                assert cls.__hash__ is not None and cls.__hash__ is not object.__hash__, name
            elif mname == "__new__":
                assert runtime_params(cls, drop_self=False) == stub_params(fn, drop_first=True), name
            elif "property" in decos:
                assert inspect.isdatadescriptor(raw), f"{name}.{mname} should be a property"
            elif "staticmethod" in decos:
                assert isinstance(raw, staticmethod), f"{name}.{mname} should be a staticmethod"
                assert runtime_params(raw.__func__, False) == stub_params(fn, drop_first=False), mname
            else:
                assert inspect.ismethoddescriptor(raw), f"{name}.{mname}"
                assert runtime_params(raw, True) == stub_params(fn, drop_first=True), f"{name}.{mname}"
    assert _native.Stats.__hash__ is None  # mutable-looking snapshot: not declared hashable


def stub_method(cls: str, name: str) -> ast.FunctionDef:
    node = stub_toplevel()[cls]
    assert isinstance(node, ast.ClassDef)
    found = [n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == name]
    assert len(found) == 1, f"{cls}.{name}"
    return found[0]


def test_keyword_settings_are_core_settings_with_the_type_of_their_kind():
    kinds = dict(_native._SETTINGS)
    assert kinds and set(kinds.values()) <= set(KIND_ANNOTATION), kinds
    for method, positional in (("__new__", ["client_id", "client_secret"]), ("from_env", [])):
        fn = stub_method("TokenClient", method)
        assert [a.arg for a in fn.args.args if a.arg != "cls"] == positional, method
        keywords = [a.arg for a in fn.args.kwonlyargs]
        # Every setting of core (in core's order) but those taken positionally, and no other.
        assert keywords == [name for name in kinds if name not in positional], method
        for arg, default in zip(fn.args.kwonlyargs, fn.args.kw_defaults):
            assert isinstance(default, ast.Constant) and default.value is None, f"{method}({arg.arg})"
            assert arg.annotation is not None
            assert ast.unparse(arg.annotation) == KIND_ANNOTATION[kinds[arg.arg]], f"{method}({arg.arg})"


def test_stats_properties_are_core_fields_in_order():
    node = stub_toplevel()["Stats"]
    assert isinstance(node, ast.ClassDef)
    stub_fields = [n.name for n in node.body if isinstance(n, ast.FunctionDef) and "property" in decorators(n)]
    # An empty client's snapshot: to_dict() follows core's Stats::FIELDS, in its order.
    snapshot = _native.TokenClient("stub-check", "not-a-secret", share_cache=False).stats()
    core_fields = list(snapshot.to_dict())
    assert stub_fields == core_fields
    runtime = [k for k, v in vars(_native.Stats).items() if isinstance(v, property)]
    assert runtime == core_fields
    for name, value in snapshot.to_dict().items():
        fn = stub_method("Stats", name)
        assert fn.returns is not None
        expected = "int" if isinstance(value, int) else ast.unparse(fn.returns)
        assert ast.unparse(fn.returns) == expected, name
        assert getattr(snapshot, name) == value, name
        assert vars(_native.Stats)[name].__doc__, f"Stats.{name} has no docstring"


def test_package_is_typed():
    assert STUB.exists()
    assert STUB.with_name("py.typed").exists()
