"""The long, mostly waiting stories, run beside the rest of the suite: tests/python/background/story_*.py.

Each story builds warehouses of its own with `live-metrics build`/`daily` and dbt, one run after another,
kills and races them (story_operations), compares stored answers with MetricFlow's (story_answers), and
damages drops (story_drop_integrity): minutes of wall time that use one core at most. conftest starts
pytests of their own over them when this module is collected, one per chain of stories (STORY_CHAINS), so
they run side by side while the rest of the suite does; the tests here, run last, wait for the chain of
their story and pass only when every test of the story passed (a failure shows that chain's pytest
report). Run a story alone with `pytest tests/python/background/story_operations.py`.
"""

from __future__ import annotations

import pytest

from conftest import STORIES, BackgroundStories


@pytest.mark.parametrize("story", STORIES)
def test_story_passes(background_stories: BackgroundStories, story: str) -> None:
    background_stories.require_passed(story)
