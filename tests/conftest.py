"""Shared test fixtures: paths to the real data and fixtures beside the checkout.

The real GTZAN clips and the EnCodecMAE reference outputs live in ``../shared`` next to the
repository (or where the environment variables below point) and are never copied into it;
tests that need them skip when they are absent.
"""

import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """Run torch single-threaded: the tests' tiny models lose far more to thread start-up and
    OpenMP barriers than they gain, above all on a busy 2-core runner."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


SHARED = Path(__file__).resolve().parents[2] / "shared"
GTZAN_MINI = Path(os.environ.get("SKLEARN_MGC_GTZAN_MINI", SHARED / "data" / "gtzan-mini"))
GTZAN_SPLITS = Path(
    os.environ.get("SKLEARN_MGC_GTZAN_SPLITS", SHARED / "data" / "gtzan-splits" / "fault-filtered")
)
ENCODECMAE_FIXTURES = Path(
    os.environ.get("SKLEARN_MGC_ENCODECMAE_FIXTURES", SHARED / "fixtures" / "encodecmae")
)


@pytest.fixture(scope="session")
def gtzan_mini():
    """Folder of the 60 real GTZAN clips (Kaggle layout); skips when absent."""
    if not (GTZAN_MINI / "genres_original").is_dir():
        pytest.skip(f"real GTZAN clips not found at {GTZAN_MINI}")
    return GTZAN_MINI


@pytest.fixture(scope="session")
def gtzan_splits():
    """Folder of the three fault-filtered split lists; skips when absent."""
    if not (GTZAN_SPLITS / "train_filtered.txt").is_file():
        pytest.skip(f"fault-filtered split lists not found at {GTZAN_SPLITS}")
    return GTZAN_SPLITS


@pytest.fixture(scope="session")
def encodecmae_fixtures():
    """Folder of the EnCodecMAE reference outputs (``mel/``, ``ec/``); skips when absent."""
    if not ENCODECMAE_FIXTURES.is_dir():
        pytest.skip(f"EnCodecMAE fixtures not found at {ENCODECMAE_FIXTURES}")
    return ENCODECMAE_FIXTURES


@pytest.fixture(scope="session")
def gtzan_files(gtzan_mini):
    """Sorted list of (path, genre) of the real clips."""
    files = sorted((gtzan_mini / "genres_original").glob("*/*.wav"))
    return [(str(f), f.parent.name) for f in files]
