"""The long, mostly waiting stories, run beside the rest of the suite: tests/python/background/story_*.py.

Each story builds warehouses of its own with `live-metrics build`/`daily` and dbt, one run after another,
kills and races them (story_operations), compares stored answers with MetricFlow's (story_answers), and
damages drops (story_drop_integrity): minutes of wall time that use one core at most. conftest starts one
pytest of its own over them when this module is collected, so they run while the rest of the suite does;
the tests here, run last, wait for it and pass only when every story test passed (a failure shows the
story's own pytest report). Run a story alone with `pytest tests/python/background/story_operations.py`.
"""

from __future__ import annotations

import pytest

from conftest import STORIES, BackgroundStories


@pytest.mark.parametrize("story", STORIES)
def test_story_passes(background_stories: BackgroundStories, story: str) -> None:
    background_stories.require_passed(story)
