"""Course layout, secret and nbgrader configuration (convcourse/course/config.py)."""

from pathlib import Path

import pytest

from convcourse.course import config
from convcourse.course.config import (
    PUBLIC_SECRET,
    course_root,
    nbgrader_config,
    resolve_secret,
)
from convcourse.course.execute import kernel_env

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


def _load_repo_config(tmp_path, monkeypatch, argv, env=None):
    """Load the repository's nbgrader_config.py as nbgrader would for ``argv``."""
    import sys

    from traitlets.config import Config

    monkeypatch.setattr(sys, "argv", argv)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    code = (Path(__file__).parents[1] / "nbgrader_config.py").read_text()
    path = tmp_path / "nbgrader_config.py"
    namespace = {"get_config": Config, "__file__": str(path)}
    exec(compile(code, str(path), "exec"), namespace)  # noqa: S102 - our own config file
    return namespace["c"]


def test_plain_nbgrader_autograde_is_refused_naming_convcourse_grade(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(config.ALLOW_PLAIN_NBGRADER, raising=False)
    with pytest.raises(SystemExit) as stopped:
        _load_repo_config(tmp_path, monkeypatch, ["nbgrader", "autograde", "01-convolution"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "refusing to autograde" in err and "convcourse grade" in err
    assert config.ALLOW_PLAIN_NBGRADER in err


def test_plain_nbgrader_autograde_runs_when_the_instructor_opts_out(tmp_path, monkeypatch):
    c = _load_repo_config(tmp_path, monkeypatch, ["nbgrader", "autograde", "x"],
                          {config.ALLOW_PLAIN_NBGRADER: "1"})
    assert c.CourseDirectory.source_directory == "solutions"
    # other commands are never refused
    monkeypatch.delenv(config.ALLOW_PLAIN_NBGRADER)
    _load_repo_config(tmp_path, monkeypatch, ["nbgrader", "generate_assignment", "x"])


def test_nbgrader_export_writes_into_the_output_folder(tmp_path, monkeypatch):
    c = _load_repo_config(tmp_path, monkeypatch, ["nbgrader", "export"])
    assert c.CsvExportPlugin.to == str(tmp_path / "output" / "grades.csv")


def test_the_sanitizing_pipeline_is_quiet_about_released_hidden_tests(tmp_path):
    from nbgrader.preprocessors import OverwriteCells

    from convcourse.course.execute import QuietOverwriteCells

    c = nbgrader_config(tmp_path)
    assert QuietOverwriteCells in c.Autograde.sanitize_preprocessors
    assert OverwriteCells not in c.Autograde.sanitize_preprocessors
    assert c.RobustExecute.graded_by_convcourse is True


def test_both_autograde_pipelines_check_metadata_with_the_schema_built_once(tmp_path):
    from nbgrader.preprocessors import CheckCellMetadata

    from convcourse.course.execute import CheckCellMetadataOnce

    c = nbgrader_config(tmp_path)
    for pipeline in (c.Autograde.sanitize_preprocessors, c.Autograde.autograde_preprocessors):
        assert pipeline[-1] is CheckCellMetadataOnce and CheckCellMetadata not in pipeline


def test_feedback_preprocessor_accepts_the_exporters_display_priority(caplog):
    import logging

    from traitlets.config import Config

    from convcourse.course.feedback import StripHiddenTests

    c = Config()
    c.NbConvertBase.display_data_priority = ["text/html"]
    with caplog.at_level(logging.WARNING):
        StripHiddenTests(config=c)
    assert "not recognized" not in caplog.text


def test_the_gradebooks_session_warning_is_silenced(tmp_path):
    import warnings

    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nbgrader_config(tmp_path)  # installs the filter, as nbgrader_config.py does
        warnings.warn("Object of type <SubmittedAssignment> not in session, add operation along "
                      "'Student.submissions' will not proceed", SAWarning)
        warnings.warn("another SQLAlchemy warning", SAWarning)
    assert [str(w.message) for w in caught] == ["another SQLAlchemy warning"]
