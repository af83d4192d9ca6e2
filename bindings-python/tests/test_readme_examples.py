"""The Python examples of the READMEs, which `make lint-python` type-checks, are extracted into
tests/typecheck/readme_examples.py by tests/typecheck/generate.py: the checked-in file matches
the READMEs, and every example is valid Python."""

import importlib.util
from pathlib import Path

HERE = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("generate", HERE / "typecheck" / "generate.py")
assert spec is not None and spec.loader is not None
generate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(generate)


def test_extracted_examples_match_the_readmes():
    text = generate.OUT.read_text(encoding="utf-8")
    same = text == generate.render()
    assert same, "tests/typecheck/readme_examples.py is stale: run python tests/typecheck/generate.py"


def test_every_example_is_extracted_and_compiles():
    blocks = generate.blocks()
    assert len(blocks) >= 4, blocks  # the stores example, the API, the adapters, the package README
    code = "\n".join(code for _, _, code in blocks)
    for name in ("TokenClient", "OfficeRnDAuthError", "RequestsAuth", "HttpxAuth", "AsyncClient"):
        assert name in code, name
    for readme, line, code in blocks:
        compile(code, f"{readme}:{line}", "exec")
    compile(generate.OUT.read_text(encoding="utf-8"), str(generate.OUT), "exec")
