from __future__ import annotations

from bench import bench_browser


def test_summary_gives_each_step_and_its_ratio_to_the_login_page() -> None:
    figures = {
        "rounds": [{}, {}, {}],
        "medians": {"login_page": 0.5, "login": 1.0, "task_open": 3.0, "first_region": 0.25,
                    "submit": 0.3},
        "ratio_to_login_page": {"login": 2.0, "task_open": 6.0, "first_region": 0.5,
                                "submit": 0.6},
    }  # fmt: skip
    lines = bench_browser.summary(figures)
    assert "medians of 3 sessions" in lines[0]
    assert "Reference: login page load 0.5 s." in lines
    assert lines[-4:] == [
        "| login | 1.0 | 2.0x |",
        "| task open | 3.0 | 6.0x |",
        "| first region | 0.25 | 0.5x |",
        "| submit | 0.3 | 0.6x |",
    ]
