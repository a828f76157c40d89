"""Static maps and charts as PNG files (no display needed).

matplotlib is imported when a figure is drawn, not when this package is; figures are
`matplotlib.figure.Figure`s on their own Agg canvas, so no global backend is switched and
pyplot is never involved. Family colours come from `corridor.network.families`.

May import: anything below the interfaces (analysis, scenarios, models, network, core).
"""
