"""The type stub `_native.pyi` matches the native module exactly: every name, every method,
every parameter (name, kind, default or not), properties and static methods."""

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
    # `self` is positional-only at runtime; the others keep their kind.
    return [(p.name, p.kind, p.default is not inspect.Parameter.empty) for p in params]


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
        routines = {k for k, v in public.items() if callable(v) or inspect.isdatadescriptor(v) or isinstance(v, staticmethod)}
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


def test_package_is_typed():
    assert STUB.exists()
    assert STUB.with_name("py.typed").exists()
