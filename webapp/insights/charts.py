"""The geometry of the insights charts: where each line, bar, dot and label goes in an
SVG's coordinates. templates/insights/_charts.html draws whatever this returns, so
every chart is drawn by the same few lines of markup, and colours stay in the CSS.

The charts are as wide as a phone's content column (WIDTH units = CSS pixels at 390 px),
so their 12-unit text reads as 12 px.
"""
from dataclasses import dataclass, field

from webapp.services.care import LONG_STRETCH_DAYS
from webapp.services.checkins import LEANS
from webapp.services.insights import PULSE_HIGHEST, PULSE_LOWEST

WIDTH = 360
LEFT = 46  # room for the value labels
RIGHT = 8
LABEL_ROOM = 22  # the day labels under the plot
NOTE_ROOM = 20  # a line of words above or below the plot (a lean's poles)


@dataclass(frozen=True)
class Line:
    """A straight line (a grid line or a mark), with its CSS class."""

    x1: float
    y1: float
    x2: float
    y2: float
    css: str


@dataclass(frozen=True)
class Label:
    """A piece of text; `anchor` is SVG's text-anchor (start, middle, end)."""

    x: float
    y: float
    text: str
    anchor: str = "middle"
    css: str = "chart-label"


@dataclass(frozen=True)
class Box:
    """A rectangle: a bar, a part of a stacked bar, or a gauge."""

    x: float
    y: float
    width: float
    height: float
    css: str


@dataclass(frozen=True)
class Dot:
    """One day's value on a line chart."""

    cx: float
    cy: float
    r: float


@dataclass(frozen=True)
class Chart:
    """Everything one SVG draws, back to front."""

    height: float
    width: float = WIDTH
    lines: list = field(default_factory=list)
    boxes: list = field(default_factory=list)
    paths: list = field(default_factory=list)  # polyline points, one string per run of days
    dots: list = field(default_factory=list)
    labels: list = field(default_factory=list)


def _round(value):
    return round(value, 1)


class _Frame:
    """The plot area of a day-by-day chart and its scale from `low` to `high`."""

    def __init__(self, count, low, high, plot_height, top):
        self.count, self.low, self.high = count, low, high
        self.top, self.plot_height = top, plot_height
        self.column = (WIDTH - LEFT - RIGHT) / count

    def x(self, index):
        """The centre of the index-th day's column."""
        return _round(LEFT + (index + 0.5) * self.column)

    def y(self, value):
        return _round(self.top + (self.high - value) / (self.high - self.low) * self.plot_height)

    @property
    def bottom(self):
        return self.top + self.plot_height

    def grid(self, values, labels, emphasised=()):
        """Horizontal lines at `values`, with the labels given for some of them."""
        lines, texts = [], []
        for value in values:
            y = self.y(value)
            css = "chart-mid" if value in emphasised else "chart-grid"
            lines.append(Line(LEFT, y, WIDTH - RIGHT, y, css))
            if value in labels:
                texts.append(Label(LEFT - 6, _round(y + 4), labels[value], "end"))
        return lines, texts

    def day_labels(self, day_labels, below):
        """The days' names, (index, text) pairs, in a row whose top is at `below`."""
        y = below + LABEL_ROOM - 6
        labels = [Label(self.x(index), y, text) for index, text in day_labels]
        if self.count > 7 and labels and day_labels[-1][0] == self.count - 1:
            # Today's date, in a narrow column, ends at the edge rather than past it.
            labels[-1] = Label(WIDTH - RIGHT, y, labels[-1].text, "end")
        return labels


def line_chart(values, low, high, value_labels, day_labels, top_note=None,
               bottom_note=None, emphasised=(), grid=None):
    """Day by day (or week by week) values, None where there is none, as dots joined
    by a line; `grid` are the values ruled across (every whole step by default).

    Days without a value break the line, so a gap is never drawn as a trend.
    """
    top = NOTE_ROOM if top_note else 8
    plot_height = 96
    frame = _Frame(len(values), low, high, plot_height, top)
    lines, labels = frame.grid(grid or range(low, high + 1), value_labels, emphasised)
    runs, run, dots = [], [], []
    radius = 4 if len(values) <= 7 else 3
    for index, value in enumerate(values):
        if value is None:
            if run:
                runs.append(run)
            run = []
            continue
        point = (frame.x(index), frame.y(value))
        run.append(point)
        dots.append(Dot(*point, radius))
    if run:
        runs.append(run)
    paths = [" ".join(f"{x},{y}" for x, y in run) for run in runs if len(run) > 1]
    if top_note:
        labels.append(Label(LEFT, 14, top_note, "start", "chart-note"))
    below = frame.bottom
    if bottom_note:
        labels.append(Label(LEFT, _round(below + 16), bottom_note, "start", "chart-note"))
        below += NOTE_ROOM
    labels += frame.day_labels(day_labels, below)
    return Chart(height=below + LABEL_ROOM, lines=lines, paths=paths, dots=dots,
                 labels=labels)


def bar_chart(stacks, day_labels):
    """Day by day counts as bars; each day's stack is a list of (count, css class)
    drawn from the bottom up."""
    most = max((sum(count for count, _ in stack) for stack in stacks), default=0)
    high = max(most, 1)
    frame = _Frame(len(stacks), 0, high, 80, 10)
    marks = {0: "0", high: str(high)}
    if high >= 4 and high % 2 == 0:
        marks[high // 2] = str(high // 2)
    lines, labels = frame.grid(sorted(marks), marks)
    width = _round(frame.column * 0.6)
    boxes = []
    for index, stack in enumerate(stacks):
        base = 0
        for count, css in stack:
            if not count:
                continue
            y = frame.y(base + count)
            boxes.append(Box(_round(frame.x(index) - width / 2), y, width,
                             _round(frame.y(base) - y), css))
            base += count
    labels += frame.day_labels(day_labels, frame.bottom)
    return Chart(height=frame.bottom + LABEL_ROOM, lines=lines, boxes=boxes, labels=labels)


def gauge(value, mark, mark_label):
    """A count of days as a bar along a track, with a mark (e.g. the long-stretch line)
    a third of the way from its end, however long the count."""
    scale = max(mark * 1.5, value)
    track = WIDTH - 2 * RIGHT

    def x(days):
        return _round(RIGHT + days / scale * track)

    css = "gauge-fill gauge-long" if value > mark else "gauge-fill"
    boxes = [Box(RIGHT, 10, track, 16, "gauge-track")]
    if value:
        boxes.append(Box(RIGHT, 10, _round(x(value) - RIGHT), 16, css))
    return Chart(
        height=52,
        boxes=boxes,
        lines=[Line(x(mark), 4, x(mark), 32, "chart-mark")],
        labels=[Label(RIGHT, 46, "0", "start"), Label(x(mark), 46, mark_label)],
    )


def day_labels(dates):
    """Which days are named under a chart: every day of a week by its weekday, and in a
    month every seventh day back from today by its date (30 would not fit)."""
    if len(dates) <= 7:
        return [(index, f"{day:%a}") for index, day in enumerate(dates)]
    last = len(dates) - 1
    return [(index, f"{day.day} {day:%b}") for index, day in enumerate(dates)
            if (last - index) % 7 == 0]


def insight_charts(overview, weeks=()):
    """The geometry of every chart of an insights Overview, by name, and of the weekly
    pulse's `weeks` when one of them has a pulse."""
    days = overview.days
    named = day_labels([day.date for day in days])
    charts = {
        "tank": line_chart([day.tank for day in days], 1, 5, {1: "Empty", 3: "Some", 5: "Full"},
                           named),
        "sessions": bar_chart(
            [[(day.sessions.within, "bar-within"), (day.sessions.over, "bar-over"),
              (day.sessions.safety, "bar-safety")] for day in days], named),
        "practices": bar_chart([[(day.practices, "bar-done")] for day in days], named),
    }
    for lean in LEANS:
        charts[lean.field] = line_chart(
            [day.leans[lean.field] for day in days], -2, 2, {}, named,
            top_note=f"\u2191 {lean.right}", bottom_note=f"\u2193 {lean.left}", emphasised=(0,),
        )
    if overview.clock.days_since is not None:
        charts["break"] = gauge(overview.clock.days_since, LONG_STRETCH_DAYS,
                                f"{LONG_STRETCH_DAYS} days")
    if any(week.score is not None for week in weeks):
        charts["pulse"] = pulse_chart(weeks)
    return charts


def pulse_chart(weeks):
    """The weekly pulse's overall score, week by week (services.pulse.WeekPulse)."""
    middle = (PULSE_LOWEST + PULSE_HIGHEST) // 2
    return line_chart(
        [week.score for week in weeks], PULSE_LOWEST, PULSE_HIGHEST,
        {PULSE_LOWEST: "Heavy", PULSE_HIGHEST: "Light"},
        [(index, f"{week.week_start.day} {week.week_start:%b}")
         for index, week in enumerate(weeks)],
        grid=(PULSE_LOWEST, middle, PULSE_HIGHEST),
    )
