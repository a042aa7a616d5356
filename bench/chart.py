#!/usr/bin/python3
"""bench/chart.py CHART.json OUT.png : the ratios to runc per workload, as horizontal bars.

CHART.json is written by bench/report.mjs: {"title": str, "groups": [{"name": str, "rows":
[{"label": str, "ratios": {"oci-ts": x, "crun": y, "hello": z}}]}]}. One bar per runtime and
row, log-scale x axis, a line at 1 (= runc); the oci-ts bars carry their value.
Needs matplotlib (Debian: python3-matplotlib), Agg backend (no display).
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = {"oci-ts": "#1f77b4", "crun": "#ff7f0e", "hello": "#7f7f7f"}
NAMES = {"oci-ts": "oci-ts / runc", "crun": "crun / runc", "hello": "Node floor (dist/hello) / runc"}


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: chart.py CHART.json OUT.png", file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        chart = json.load(f)
    rows = []  # (group, label, ratios)
    for g in chart["groups"]:
        for r in g["rows"]:
            rows.append((g["name"], r["label"], {k: v for k, v in r["ratios"].items() if v and v > 0}))
    if not rows:
        print("chart.py: no ratios to draw", file=sys.stderr)
        return 1
    series = [s for s in ("oci-ts", "crun", "hello") if any(s in r[2] for r in rows)]
    bar_h = 0.8 / len(series)
    height = max(4.0, 0.32 * len(rows) * max(1, len(series)) / 1.6 + 1.5)
    fig, ax = plt.subplots(figsize=(10, height), dpi=110)
    ylabels, yticks = [], []
    y = 0.0
    prev_group = None
    group_spans = []
    for group, label, ratios in rows:
        if group != prev_group:
            if prev_group is not None:
                y += 0.6
            group_spans.append((group, y))
            prev_group = group
        for i, s in enumerate(series):
            if s not in ratios:
                continue
            yy = y + (i - (len(series) - 1) / 2) * bar_h
            ax.barh(yy, ratios[s], height=bar_h * 0.92, color=COLORS[s], label=NAMES[s])
            if s == "oci-ts":
                ax.text(ratios[s] * 1.04, yy, f"{ratios[s]:.2f}×", va="center", fontsize=7)
        yticks.append(y)
        ylabels.append(f"{group}: {label}")
        y += 1.0
    ax.set_xscale("log")
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_yticks(yticks)
    ax.set_yticklabels(ylabels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("ratio to runc (median of per-pair ratios; log scale; 1 = runc, < 1 faster / smaller)")
    ax.set_title(chart.get("title", "ratios to runc"), fontsize=10)
    ax.grid(axis="x", which="both", linestyle=":", linewidth=0.5)
    handles, labels = ax.get_legend_handles_labels()
    uniq = dict(zip(labels, handles))
    ax.legend(uniq.values(), uniq.keys(), loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(sys.argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main())
