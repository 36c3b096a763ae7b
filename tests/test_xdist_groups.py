"""`make test` runs with ``--dist loadgroup``: every test of an ``xdist_group`` runs on one
worker, so a module's expensive fixture (the sample class graded, the red team's class) is
made once.  pytest-xdist marks a grouped test by appending ``@group`` to its id; when a pytest
release stops that from working (pytest 9 with pytest-xdist 3.8 did, silently), the slow
modules run on both workers and `make test` takes twice as long.  This test notices.
"""

import pytest


@pytest.mark.xdist_group("probe")
def test_a_grouped_test_carries_its_group_when_run_with_loadgroup(request):
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("not run by a pytest-xdist worker with --dist loadgroup")
    assert request.node.nodeid.endswith("@probe"), (
        f"pytest-xdist could not mark {request.node.nodeid!r} with its group: tests of one "
        "xdist_group will be spread over the workers (check the pytest pin in pyproject.toml)")
