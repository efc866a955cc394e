from __future__ import annotations

import datetime

from portfolio.chart import MAX_MONTHS, month_bars

D = datetime.date


def test_no_rows_no_chart():
    assert month_bars([]) is None


def test_empty_months_between_are_drawn_as_zero():
    chart = month_bars([(D(2022, 1, 1), 4.0), (D(2022, 4, 1), 2.0)])
    assert [(b.month.month, b.hours) for b in chart.bars] == [(1, 4.0), (2, 0), (3, 0), (4, 2.0)]
    tallest, _, _, half = chart.bars
    assert tallest.height == 2 * half.height
    assert tallest.y + tallest.height == chart.plot_bottom
    assert chart.bars[1].height == 0


def test_only_the_last_24_months_are_shown():
    chart = month_bars([(D(2015, 6, 1), 1.0), (D(2023, 12, 1), 3.0)])
    assert len(chart.bars) == MAX_MONTHS
    assert chart.bars[0].month == D(2022, 1, 1)
    assert chart.bars[-1].label == "Dec 2023"
    assert chart.bars[-1].show_label


def test_bars_fit_inside_the_plot():
    chart = month_bars([(D(2021, m, 1), float(m)) for m in range(1, 13)])
    for bar in chart.bars:
        assert chart.left <= bar.x
        assert bar.x + bar.width <= chart.axis_right
        assert chart.plot_top <= bar.y <= chart.plot_bottom


def test_a_future_date_does_not_push_the_history_off_the_chart():
    rows = [(D(2022, 1, 1), 4.0), (D(2023, 6, 1), 2.0), (D(2999, 1, 1), 7.0)]
    chart = month_bars(rows, today=D(2024, 3, 10))
    assert (chart.first, chart.last) == (D(2022, 1, 1), D(2023, 6, 1))
    assert chart.later_hours == 7.0
    assert chart.shown_hours + chart.earlier_hours + chart.later_hours == 13.0
    assert not chart.whole_history


def test_what_falls_before_the_window_is_totalled():
    chart = month_bars([(D(2015, 6, 1), 1.5), (D(2023, 12, 1), 3.0)], today=D(2024, 1, 1))
    assert chart.earlier_hours == 1.5
    assert chart.shown_hours == 3.0


def test_gridlines_are_round_numbers_up_to_the_top_of_the_scale():
    chart = month_bars([(D(2022, 1, 1), 9.0), (D(2022, 2, 1), 3.0)], today=D(2024, 1, 1))
    assert [line.hours for line in chart.grid] == [0, 2.5, 5, 7.5, 10]
    assert chart.grid[0].y == chart.plot_bottom
    assert chart.grid[-1].y == chart.plot_top
    assert chart.whole_history
    assert chart.show_values


def test_a_chart_laid_out_before_is_reused_and_a_new_day_or_month_lays_out_afresh():
    rows = [(D(2024, 1, 1), 2.0), (D(2024, 3, 1), 4.0), (D(2024, 5, 1), 1.0)]
    chart = month_bars(rows, today=D(2024, 3, 10))
    assert month_bars([list(row) for row in rows], today=D(2024, 3, 10)) is chart
    assert chart.last == D(2024, 3, 1)
    assert chart.later_hours == 1.0
    # May comes: the same rows, laid out for the new day, now end with May.
    later = month_bars(rows, today=D(2024, 5, 2))
    assert later.last == D(2024, 5, 1)
    assert later.later_hours == 0
    more = month_bars([*rows, (D(2024, 3, 20), 1.0)], today=D(2024, 3, 10))
    assert more.bars[-1].hours == 5.0
    assert chart.bars[-1].hours == 4.0
