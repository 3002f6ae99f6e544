"""``giftsim schema``: the printed JSON Schemas accept every shipped file and refuse the
mistakes the loaders refuse (misspelt keys, values out of range, unknown kinds)."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import tomllib

import pytest

from sim.cli import main
from sim.scenario import ScenarioError, kind_of, load_scenario

from ..conftest import ROOT, SCENARIOS

jsonschema = pytest.importorskip("jsonschema")

SHIPPED = sorted(SCENARIOS.rglob("*.toml"))
WECHAT = SCENARIOS / "wechat_gift_launch.toml"


def _jsonable(value):
    """A TOML document as an editor's schema check sees it: dates and times as ISO strings."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return value


@pytest.fixture(scope="module")
def schemas():
    """The four schemas as ``giftsim schema KIND`` prints them, parsed."""
    out = {}
    for kind in ("scenario", "batch", "calibration", "search"):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            assert main(["schema", kind]) == 0
        out[kind] = json.loads(buf.getvalue())
    return out


_VALIDATORS: dict[int, object] = {}


def _validator(schema):
    """A validator of ``schema`` that checks formats (``date``), made once per schema."""
    if id(schema) not in _VALIDATORS:
        cls = jsonschema.validators.validator_for(schema)
        _VALIDATORS[id(schema)] = cls(schema, format_checker=cls.FORMAT_CHECKER)
    return _VALIDATORS[id(schema)]


def _errors(schemas, kind, text):
    return [e.message for e in _validator(schemas[kind]).iter_errors(_jsonable(tomllib.loads(text)))]


def _messages(errors) -> list[str]:
    """Messages of validation errors and of the errors under them (a union's branches)."""
    out = []
    for e in errors:
        out.append(e.message)
        out += _messages(e.context)
    return out


def test_schemas_are_valid_draft_7_documents(schemas):
    for kind, schema in schemas.items():
        assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
        assert schema["title"] == f"giftsim {kind} file"
        assert jsonschema.validators.validator_for(schema) is jsonschema.Draft7Validator
        jsonschema.Draft7Validator.check_schema(schema)


def test_default_kind_is_scenario_and_out_writes_the_file(tmp_path, capsys):
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["title"] == "giftsim scenario file"
    target = tmp_path / "giftsim-scenario.schema.json"
    assert main(["schema", "scenario", "--out", str(target)]) == 0
    assert json.loads(target.read_text(encoding="utf-8")) == printed


def test_out_naming_a_folder_or_a_path_below_a_file_is_exit_2(tmp_path, capsys):
    # was exit 4 "cannot write results: [Errno 21] Is a directory" / "[Errno 20] Not a directory"
    assert main(["schema", "batch", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == (f"error: --out {tmp_path}: is a folder; give a file name for the "
                                               f"schema, e.g. --out {tmp_path / 'giftsim-batch.schema.json'}")
    (tmp_path / "f").write_text("keep me")
    assert main(["schema", "batch", "--out", str(tmp_path / "f" / "x.json")]) == 2
    assert capsys.readouterr().err.strip() == (f"error: --out {tmp_path / 'f' / 'x.json'}: {tmp_path / 'f'} is a "
                                               "file, not a folder; give a file name in a folder")
    assert (tmp_path / "f").read_text() == "keep me"
    assert main(["schema", "batch", "--out", str(tmp_path / "new" / "b.json")]) == 0  # its folder is created
    assert json.loads((tmp_path / "new" / "b.json").read_text(encoding="utf-8"))["title"] == "giftsim batch file"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(SCENARIOS)))
def test_every_shipped_file_validates_against_its_kinds_schema(schemas, path):
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    assert _errors(schemas, kind_of(raw), path.read_text(encoding="utf-8")) == []


def test_shipped_files_cover_the_four_kinds():
    kinds = {kind_of(tomllib.loads(p.read_text(encoding="utf-8"))) for p in SHIPPED}
    assert kinds == {"scenario", "batch", "calibration", "search"}


MINIMAL = 'name = "x"\n[graph]\nkind = "barabasi_albert"\nn = 50\nm = 2\n'
EXTENDS = 'extends = "base.toml"\n'  # MINIMAL, written beside the file


def _ids(cases) -> list[str]:
    """Test ids: the case's own lines after MINIMAL or EXTENDS, short."""
    out = []
    for case in cases:
        text = case[1] if isinstance(case[1], str) else case[0]
        tail = text.replace(MINIMAL, "").replace(EXTENDS, "extends+")
        out.append(" ".join(tail.split())[:60] or "minimal")
    return out


MISSPELT = [
    ("scenario", MINIMAL + "[policy]\ncomercial_share = 0.1\n"),  # misspelt key in a table
    ("scenario", EXTENDS + "[policy]\ncomercial_share = 0.1\n"),  # ... in a file that extends another
    ("scenario", EXTENDS + "nmae = 'x'\n"),  # ... at the top
    ("scenario", MINIMAL + "[merchants.sme]\ncont = 3\n"),  # ... in a merchant type given in part
    ("scenario", MINIMAL + "[population]\nactivity = { dist = 'beta', a = 1, bb = 2 }\n"),  # ... in a distribution
    ("scenario", MINIMAL + "[policy.allocation]\nrule = 'head_boost'\nbost = 2\n"),  # ... in an allocation rule
    ("batch", 'name = "b"\nbase = "x.toml"\nreplicate = 3\n'),
    ("batch", 'name = "b"\nbase = "x.toml"\n[sample]\nmethod = "sobol"\nn = 8\nbonds = { "a.b" = [0, 1] }\n'),
    ("calibration", 'name = "c"\nbase = "x.toml"\nparameters = { "gifts.send_probability" = [0.1, 0.5] }\n'
                    '[targets.gmv_rmb]\nvalue = 1.0\nscal = 1.0\n'),
    ("search", 'name = "s"\nbase = "x.toml"\n[levers]\n"policy.commercial_share" = [0.01, 0.1]\n'
               '[objectives]\ngmv_rmb = "max"\n[search]\nreplicate = 3\n'),
]


@pytest.mark.parametrize("kind, text", MISSPELT, ids=_ids(MISSPELT))
def test_a_misspelt_key_fails_validation(schemas, kind, text):
    (misspelt,) = [w for w in ("comercial_share", "nmae", "cont", "bb", "bost", "replicate", "bonds", "scal")
                   if f"{w} =" in text or f"{w}=" in text]
    errors = list(_validator(schemas[kind]).iter_errors(_jsonable(tomllib.loads(text))))
    assert errors
    assert any(f"'{misspelt}' was unexpected" in m for m in _messages(errors)), _messages(errors)
    # the same file without the typo is valid
    fixed = text.replace(f"{misspelt} =", {"comercial_share": "commercial_share", "nmae": "name", "cont": "count",
                                           "bb": "b", "bost": "boost", "replicate": "replicates",
                                           "bonds": "bounds", "scal": "scale"}[misspelt] + " =")
    assert _errors(schemas, kind, fixed) == []


AGREE = [
    (MINIMAL, True),
    ('name = "x"\n', False),  # graph is required without extends
    (EXTENDS + "[graph]\nn = 5000\n", True),  # with extends, a table may be given in part
    (MINIMAL + "[population]\nactivity = 0.5\n", True),  # a bare number is a constant
    (MINIMAL + "[population]\nactivity = 1.5\n", False),  # a probability
    (MINIMAL + "[population]\nactivity = { dist = 'lognormal', median = 1, sigma = 1 }\n", False),
    (MINIMAL + "[population]\nactivity = { dist = 'uniform', low = 0.2, high = 1.2 }\n", False),
    (MINIMAL + "[population]\nactivity = { a = 2, b = 3 }\n", False),  # a table needs its dist
    (MINIMAL + "[population]\nmute_threshold = 0\n", False),  # must be > 0
    (MINIMAL + "[population]\nmute_threshold = { dist = 'beta', a = 1, b = 1 }\n", False),
    (MINIMAL + "[population]\nbudget = { dist = 'beta', a = 1, b = 1 }\n", True),  # >= 0 allows a beta
    (MINIMAL + "[merchants.sme]\ncount = 3\n", True),  # a merchant type given in part
    (MINIMAL + "[policy.allocation]\nrule = 'head_boost'\nboost = 2\n", True),
    (MINIMAL + "[policy.allocation]\nrule = 'nope'\n", False),
    (MINIMAL + "[policy.allocation]\nboost = 2\n", False),  # the rule is required
    (MINIMAL + "[mode]\nkind = 'bass'\np = 0.1\nq = 0.3\n", True),
    (MINIMAL + "[mode]\np = 0.1\n", False),
    (MINIMAL + "[[occasions]]\nname = 'a'\ndate = 2025-01-01\nlift = 1\n", True),
    (EXTENDS + "[[occasions]]\nname = 'a'\nlift = 1\n", False),  # arrays are replaced whole: items complete
    (MINIMAL + "[time]\nstep_hours = 5\n", False),
    (MINIMAL + "[time]\nstart = 'soon'\n", False),  # format date
    (MINIMAL.replace('"x"', '"a/b"'), False),  # the name is a folder under results/
    (MINIMAL.replace('"x"', '".hidden"'), False),
    (MINIMAL.replace('"x"', '"wechat_v2.1-b"'), True),
]


@pytest.mark.parametrize("text, ok", AGREE, ids=_ids(AGREE))
def test_scenario_schema_agrees_with_the_loader(schemas, tmp_path, text, ok):
    assert (_errors(schemas, "scenario", text) == []) is ok
    # the loader (the reference) decides alike
    (tmp_path / "base.toml").write_text(MINIMAL, encoding="utf-8")
    f = tmp_path / "s.toml"
    f.write_text(text, encoding="utf-8")
    try:
        load_scenario(f)
        loaded = True
    except ScenarioError:
        loaded = False
    assert loaded is ok


def test_batch_outcomes_and_calibration_targets_are_named(schemas):
    assert _errors(schemas, "batch", 'name = "b"\nbase = "x.toml"\noutcomes = ["gmv_rmb", "hhi"]\n') == []
    assert _errors(schemas, "batch", 'name = "b"\nbase = "x.toml"\noutcomes = ["gmv"]\n')
    good = 'name = "c"\nbase = "x.toml"\nparameters = { "gifts.send_probability" = [0.1, 0.5] }\n'
    assert _errors(schemas, "calibration", good + "[targets.gmv_rmb]\nvalue = 1.0\nscale = 1.0\n") == []
    assert _errors(schemas, "calibration", good + "[targets.gmv]\nvalue = 1.0\nscale = 1.0\n")


@pytest.mark.parametrize("kind, rest", [("batch", 'base = "x.toml"\n'), ("calibration", 'base = "x.toml"\n'
                                         'parameters = { "gifts.send_probability" = [0.1, 0.5] }\n'
                                         '[targets.gmv_rmb]\nvalue = 1.0\nscale = 1.0\n')])
def test_batch_and_calibration_names_carry_the_folder_pattern(schemas, kind, rest):
    # name = "a/b" validated against the schema though the loader refuses it
    assert _errors(schemas, kind, 'name = "ok_1.2-x"\n' + rest) == []
    for bad in ("a/b", "-x", ".x", "a b"):
        assert _errors(schemas, kind, f'name = "{bad}"\n' + rest), bad


SEARCH = 'name = "s"\nbase = "x.toml"\n'


@pytest.mark.parametrize("text, ok", [
    ('[levers]\n"policy.commercial_share" = [0.01, 0.1]\n[objectives]\ngmv_rmb = "max"\n', True),
    ('[levers]\n"policy.allocation.rule" = ["equal", "head_boost"]\n"policy.allocation.boost" = { range = [2, 9], '
     'when = { "policy.allocation.rule" = "head_boost" } }\n[objectives]\ngmv_rmb = "max"\n'
     '[constraints]\nmuted_share = { max = 0.05 }\n', True),
    ('uncertainty = "posterior"\nrobustness = { percentile = 10 }\n[levers]\n"policy.push.enabled" = [false, true]\n'
     '[objectives]\nmuted_share = "min"\n', True),
    ('[levers]\n"gifts.send_probability" = [0.1, 0.5]\n[objectives]\ngmv_rmb = "max"\n', False),  # not a policy key
    ('[levers]\n"policy.commercial_share" = [0.01, 0.1]\n[objectives]\ngmv = "max"\n', False),  # not an outcome
    ('[levers]\n"policy.commercial_share" = [0.01, 0.1]\n[objectives]\ngmv_rmb = "up"\n', False),
    ('[levers]\n"policy.commercial_share" = [0.01, 0.1]\n', False),  # no objective
    ('[levers]\n"policy.commercial_share" = [0.01, 0.1]\n[objectives]\ngmv_rmb = "max"\n[search]\n'
     'population = 0\n', False),
    ('[levers]\n"policy.commercial_share" = [0.01, 0.1]\n[objectives]\ngmv_rmb = "max"\n[search]\n'
     'sampler = "cmaes"\n', False),
])
def test_search_schema_names_policy_keys_outcomes_and_budgets(schemas, text, ok):
    assert (_errors(schemas, "search", SEARCH + text) == []) is ok


def test_unknown_kind_is_refused(capsys):
    with pytest.raises(SystemExit) as info:
        main(["schema", "sceanrio"])
    assert info.value.code == 2 and "invalid choice: 'sceanrio'" in capsys.readouterr().err


def test_readme_shows_the_editor_hook():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "giftsim schema scenario" in readme and "#:schema" in readme
    # what the schema cannot check is said where the editor is set up
    editor = readme.split("### Editor support", 1)[1].split("\n## ", 1)[0]
    flat = " ".join(editor.split())
    assert "rules across keys (`graph.m` below `graph.n`" in flat and "are checked by `giftsim check FILE`" in flat
