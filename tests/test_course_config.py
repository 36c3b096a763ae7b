"""Course layout, secret and nbgrader configuration (convcourse/course/config.py)."""

from pathlib import Path

import pytest

from convcourse.course import config
from convcourse.course.config import (
    PUBLIC_SECRET,
    course_root,
    kernel_env,
    nbgrader_config,
    resolve_secret,
)

FIXTURE = Path(__file__).parent / "fixtures" / "course"


@pytest.fixture
def no_secret(monkeypatch, tmp_path):
    monkeypatch.delenv("CONVCOURSE_SECRET", raising=False)
    monkeypatch.setattr(config, "_SECRET_FILE", tmp_path / "home" / "secret")
    return tmp_path / "home" / "secret"


def test_secret_falls_back_to_the_public_one(no_secret):
    assert resolve_secret() == (PUBLIC_SECRET, True)


def test_secret_order_file_then_env_then_home(no_secret, monkeypatch, tmp_path):
    no_secret.parent.mkdir()
    no_secret.write_text("from-home\n")
    assert resolve_secret() == ("from-home", False)
    monkeypatch.setenv("CONVCOURSE_SECRET", "from-env")
    assert resolve_secret() == ("from-env", False)
    given = tmp_path / "given"
    given.write_text("from-file")
    assert resolve_secret(given) == ("from-file", False)
    assert resolve_secret(given, demo=True) == (PUBLIC_SECRET, True)


def test_secret_errors(no_secret, tmp_path):
    with pytest.raises(FileNotFoundError, match="secret_file"):
        resolve_secret(tmp_path / "missing")
    empty = tmp_path / "empty"
    empty.write_text("  \n")
    with pytest.raises(ValueError, match="empty"):
        resolve_secret(empty)


def test_kernel_env_sets_the_seeding_contract_and_finds_the_package():
    env = kernel_env("ann", "01-convolution", "01-convolution", "s")
    assert (env["CONVCOURSE_STUDENT"], env["CONVCOURSE_ASSIGNMENT"],
            env["CONVCOURSE_NOTEBOOK"], env["CONVCOURSE_SECRET"]) == (
        "ann", "01-convolution", "01-convolution", "s")
    package_parent = Path(config.__file__).resolve().parents[2]
    assert env["PYTHONPATH"].split(":")[0] == str(package_parent)


def test_course_root_finds_the_folder_with_solutions(tmp_path):
    assert course_root(FIXTURE / "notebooks" / "00-fixture") == FIXTURE.resolve()


def test_config_swaps_execute_and_adds_hidden_test_stripping(tmp_path):
    from nbgrader.preprocessors import Execute

    from convcourse.course.execute import RobustExecute
    from convcourse.course.feedback import StripHiddenTests

    c = nbgrader_config(tmp_path, timeout=7)
    assert RobustExecute in c.Autograde.autograde_preprocessors
    assert Execute not in c.Autograde.autograde_preprocessors
    assert StripHiddenTests in c.GenerateFeedback.preprocessors
    assert c.RobustExecute.timeout == 7
    assert c.CourseDirectory.db_url == f"sqlite:///{tmp_path.resolve() / 'gradebook.db'}"


def test_repo_nbgrader_config_maps_solutions_and_notebooks(tmp_path):
    from traitlets.config import Config

    code = (Path(__file__).parents[1] / "nbgrader_config.py").read_text()
    path = tmp_path / "nbgrader_config.py"  # as traitlets loads it, but off the repository
    namespace = {"get_config": Config, "__file__": str(path)}
    exec(compile(code, str(path), "exec"), namespace)  # noqa: S102 - our own config file
    c = namespace["c"]
    assert c.CourseDirectory.source_directory == "solutions"
    assert c.CourseDirectory.release_directory == "notebooks"
    assert c.CourseDirectory.submitted_directory.startswith("output")
    assert c.CourseDirectory.db_url == f"sqlite:///{tmp_path / 'output' / 'gradebook.db'}"
    from convcourse.course.execute import RobustExecute

    assert RobustExecute in c.Autograde.autograde_preprocessors
