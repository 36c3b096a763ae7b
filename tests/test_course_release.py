"""Releasing notebooks and the student bundle (convcourse/course/release.py)."""

import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest

from convcourse.cli import main

FIXTURE = Path(__file__).parent / "fixtures" / "course"


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """Release a copy of the fixture course twice (with a stand-in package)."""
    course = tmp_path_factory.mktemp("release") / "course"
    shutil.copytree(FIXTURE, course)
    shutil.rmtree(course / "notebooks")
    (course / "convcourse" / "course").mkdir(parents=True)
    (course / "convcourse" / "__init__.py").write_text("")
    (course / "convcourse" / "reference.py").write_text("def f(): pass\n")
    (course / "convcourse" / "course" / "grade.py").write_text("# instructor tooling\n")
    (course / "convcourse" / "cli.py").write_text("def main(): pass\n")
    (course / "convcourse" / "__pycache__").mkdir()
    (course / "convcourse" / "__pycache__" / "reference.cpython-312.pyc").write_bytes(b"\0")
    (course / "examples" / "sample-class").mkdir(parents=True)
    runs = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01: a reproducible build
        for _ in range(2):
            assert main(["--course", str(course), "release"]) == 0
            nb = (course / "notebooks" / "00-fixture" / "fixture.ipynb").read_bytes()
            bundle = (course / "release-bundle" / "convcourse-student.zip").read_bytes()
            runs.append((nb, bundle))
    return course, runs


@pytest.mark.slow
def test_release_is_deterministic_and_matches_the_committed_fixture(released):
    course, runs = released
    assert runs[0] == runs[1]
    assert runs[0][0] == (FIXTURE / "notebooks" / "00-fixture" / "fixture.ipynb").read_bytes()


@pytest.mark.slow
def test_release_clears_solutions_hidden_tests_and_outputs(released):
    course, _ = released
    nb = nbformat.read(course / "notebooks" / "00-fixture" / "fixture.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "BEGIN SOLUTION" not in text and "HIDDEN" not in text
    assert "return a + b" not in text and "_hidden_case_table" not in text
    answers = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert len(answers) == 2 and all("raise NotImplementedError" in c.source for c in answers)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    visible = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "add-visible")
    assert "assert add(1, 2) == 3" in visible.source


@pytest.mark.slow
def test_bundle_holds_notebooks_package_and_instructions_only(released):
    course, _ = released
    with zipfile.ZipFile(course / "release-bundle" / "convcourse-student.zip") as zf:
        names, infos = zf.namelist(), zf.infolist()
        notebook = zf.read("notebooks/00-fixture/fixture.ipynb").decode()
    assert names == sorted(names)
    # the whole public package: the `convcourse` console script needs cli.py and course/
    assert {"README.md", "notebooks/00-fixture/fixture.ipynb", "convcourse/__init__.py",
            "convcourse/reference.py", "convcourse/cli.py", "convcourse/course/grade.py"} <= set(names)
    assert not [n for n in names if n.startswith(("solutions/", "examples/", "tests/", "release-bundle/"))
                or "__pycache__" in n or n.endswith(".pyc")]
    assert "BEGIN SOLUTION" not in notebook and "HIDDEN TESTS" not in notebook
    assert {i.date_time for i in infos} == {(2026, 1, 1, 0, 0, 0)}  # SOURCE_DATE_EPOCH


def test_release_without_solutions_fails_cleanly(tmp_path, capsys):
    (tmp_path / "solutions").mkdir()
    assert main(["--course", str(tmp_path), "release"]) == 2
    assert "no assignment" in capsys.readouterr().err


ROOT = Path(__file__).parents[1]


@pytest.mark.slow
@pytest.mark.skipif(not (ROOT / "solutions").is_dir(), reason="no solutions/ yet")
def test_committed_notebooks_equal_a_fresh_release(tmp_path):
    """The committed notebooks/ is byte for byte what `convcourse release` makes from solutions/
    today: nobody edits notebooks/ by hand, and nobody forgets to release after editing solutions/."""
    from convcourse.course.release import release

    result = release(ROOT, dest=tmp_path / "fresh", bundle=False)
    for name in result["assignments"]:
        fresh = sorted(p.relative_to(tmp_path / "fresh" / name)
                       for p in (tmp_path / "fresh" / name).rglob("*") if p.is_file())
        assert fresh, name
        for rel in fresh:
            committed = ROOT / "notebooks" / name / rel
            assert committed.is_file(), f"notebooks/{name}/{rel} is missing: run `convcourse release`"
            assert committed.read_bytes() == (tmp_path / "fresh" / name / rel).read_bytes(), (
                f"notebooks/{name}/{rel} differs from a fresh release: run `convcourse release`")



@pytest.mark.skipif(not (ROOT / "notebooks").is_dir(), reason="no notebooks/ yet")
def test_bundle_of_this_course_ships_the_whole_package_and_its_console_script(tmp_path):
    """`pip install` of the bundle must give a working `convcourse` command (pyproject's
    [project.scripts]): every module of the package goes in; no solutions or samples do."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    from convcourse.course.config import assignments
    from convcourse.course.release import write_bundle

    names = assignments(ROOT / "notebooks")
    zip_path = write_bundle(ROOT, ROOT / "notebooks", names, tmp_path / "bundle.zip")
    with zipfile.ZipFile(zip_path) as zf:
        shipped = set(zf.namelist())
        project = tomllib.loads(zf.read("pyproject.toml").decode())["project"]
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "convcourse").rglob("*.py")
               if "__pycache__" not in p.parts}
    assert modules <= shipped, sorted(modules - shipped)
    for target in project["scripts"].values():           # convcourse = "convcourse.cli:main"
        assert target.split(":")[0].replace(".", "/") + ".py" in shipped
    assert {"README.md", "jupyter-config/jupyter_server_config.json",
            "jupyter-config/labconfig/page_config.json"} <= shipped
    assert {f"notebooks/{n}/{n}.ipynb" for n in names} <= shipped
    assert not [n for n in shipped if n.startswith(("solutions/", "examples/", "tests/", "release-bundle/"))
                or "__pycache__" in n or n.endswith(".pyc")]


def test_bundle_is_made_for_students(tmp_path, monkeypatch):
    """Their own README (open, check, submit; nothing of the instructor's), only the student
    tools of nbgrader in JupyterLab, entries dated the time of the release."""
    import json
    import time

    tomllib = pytest.importorskip("tomllib")
    from convcourse.course.config import assignments
    from convcourse.course.release import write_bundle

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    names = assignments(ROOT / "notebooks")
    before = time.gmtime(time.time() - 2)[:6]
    zip_path = write_bundle(ROOT, ROOT / "notebooks", names, tmp_path / "bundle.zip")
    after = time.gmtime(time.time() + 2)[:6]
    with zipfile.ZipFile(zip_path) as zf:
        readme = zf.read("README.md").decode()
        server = json.loads(zf.read("jupyter-config/jupyter_server_config.json"))
        page = json.loads(zf.read("jupyter-config/labconfig/page_config.json"))
        dates = {i.date_time for i in zf.infolist()}
        extras = tomllib.loads(zf.read("pyproject.toml").decode())["project"]["optional-dependencies"]
    assert "make demo" not in readme and "solutions/" not in readme and "make test" not in readme
    for step in ("jupyter lab notebooks/", "convcourse check notebooks/", "Submit",
                 "pip install -e '.[student]'", "JUPYTER_CONFIG_PATH=jupyter-config"):
        assert step in readme, step
    assert readme != (ROOT / "README.md").read_text()
    extensions = server["ServerApp"]["jpserver_extensions"]
    assert extensions["nbgrader.server_extensions.formgrader"] is False
    assert extensions["nbgrader.server_extensions.assignment_list"] is True
    assert extensions["nbgrader.server_extensions.validate_assignment"] is True
    disabled = {k for k, v in page["disabledExtensions"].items() if v}
    assert {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment"} <= disabled
    assert not disabled & {"@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:validate-assignment"}
    assert len(dates) == 1 and before <= dates.pop() <= after  # not 2020-01-01
    # the student install: what the notebooks and `convcourse check` need, nothing of nbgrader's
    student = " ".join(extras["student"])
    assert "jupyterlab" in student and "nbclient" in student and "nbgrader" not in student


def test_a_bad_source_date_epoch_is_named(tmp_path, monkeypatch):
    from convcourse.course.release import write_bundle

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ValueError, match="SOURCE_DATE_EPOCH must be whole seconds.*'yesterday'"):
        write_bundle(ROOT, ROOT / "notebooks", [], tmp_path / "bundle.zip")


ROOT = Path(__file__).resolve().parents[1]
RULES_CHECKED = {"": ("**How the rules are checked.**", "best-effort", "scores 0"),
                 "ru": ("**Как проверяются правила.**", "по мере возможности", "получает 0")}


@pytest.mark.parametrize("lang", sorted(RULES_CHECKED))
@pytest.mark.parametrize("assignment", sorted(p.name for p in (ROOT / "solutions").iterdir()))
def test_every_released_notebook_says_which_rules_are_enforced_and_which_are_advice(assignment, lang):
    # issue 9: the judge enforces the rules that protect the grade by absence (scipy, torch, the
    # solutions are not in its worker); a rule naming a numpy function can only be advice
    path = ROOT / "notebooks" / lang / assignment / f"{assignment}.ipynb"
    intro = nbformat.read(path, as_version=4).cells[0].source
    rules = intro.index(RULES_CHECKED[lang][0])
    assert intro.index("**Rules" if not lang else "**Правила") < rules
    for phrase in RULES_CHECKED[lang][1:]:
        assert phrase in intro[rules:], (path, phrase)


def test_a_released_template_is_reused_only_for_the_same_source(tmp_path, monkeypatch):
    import os
    import sys

    from convcourse.course.release import release_template

    # nbgrader runs `alembic` for a new gradebook
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    root = Path(__file__).resolve().parents[1]
    cache = tmp_path / "cache"

    def release(name):
        work = tmp_path / name
        shutil.copytree(root / "solutions" / "04-backprop", work / "source" / "04-backprop")
        (work / "scratch").mkdir()
        return work, release_template(work, ["04-backprop"], work / "scratch" / "t.db", cache)

    first, reused = release("first")
    assert reused is False and len(list(cache.iterdir())) == 1
    again, reused = release("again")
    assert reused is True
    for path in sorted((first / "release").rglob("*")):
        twin = again / path.relative_to(first)
        assert twin.exists() and (path.is_dir() or twin.read_bytes() == path.read_bytes())
    assert (again / "scratch" / "t.db").read_bytes() == (first / "scratch" / "t.db").read_bytes()
    # one changed byte of the source: released again, a second entry
    changed = tmp_path / "changed"
    shutil.copytree(root / "solutions" / "04-backprop", changed / "source" / "04-backprop")
    nb = changed / "source" / "04-backprop" / "04-backprop.ipynb"
    nb.write_text(nb.read_text() + "\n")
    (changed / "scratch").mkdir()
    assert release_template(changed, ["04-backprop"], changed / "scratch" / "t.db", cache) is False
    assert len([p for p in cache.iterdir() if not p.name.startswith(".")]) == 2
