"""Fixtures: a signing key and the example policy compiled into a bundle
with the permit0 CLI ($PERMIT0_BIN, set by python/run-tests.sh)."""

import os
import pathlib
import subprocess

import pytest

import permit0

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def _bin() -> str:
    b = os.environ.get("PERMIT0_BIN")
    if not b:
        pytest.exit("PERMIT0_BIN is not set: run python/run-tests.sh", returncode=2)
    return b


@pytest.fixture(scope="session")
def fixture_dir(tmp_path_factory) -> pathlib.Path:
    d = tmp_path_factory.mktemp("permit0")
    subprocess.run([_bin(), "keygen", str(d / "ops")], check=True, capture_output=True)
    subprocess.run(
        [_bin(), "build", "--key", str(d / "ops.key"), "-o", str(d / "refunds.p0b"),
         str(EXAMPLES / "refunds.p0")],
        check=True,
        capture_output=True,
    )
    return d


@pytest.fixture(scope="session")
def bundle(fixture_dir) -> pathlib.Path:
    return fixture_dir / "refunds.p0b"


@pytest.fixture(scope="session")
def pub(fixture_dir) -> pathlib.Path:
    return fixture_dir / "ops.pub"


@pytest.fixture
def env_configured(monkeypatch, bundle, pub):
    """permit0 configured from the environment only, as the seed runs."""
    monkeypatch.setenv("PERMIT0_BUNDLE", str(bundle))
    monkeypatch.setenv("PERMIT0_TRUSTED", str(pub))
    permit0.reset()
    yield
    permit0.reset()


@pytest.fixture(autouse=True)
def _forget_configuration():
    permit0.reset()
    yield
    permit0.reset()
