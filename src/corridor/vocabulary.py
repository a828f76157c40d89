"""The library's named choices: objectives, methods, modes, node kinds, passages, years, formats.

They live here, in a module that imports nothing, so that an interface can offer them (the CLI's
`--objective`, `--method`, ... and the web app's query enums) without loading pandas or a model,
and so that each choice is written once: the modules that check them import them from here.

May import: nothing.
"""

from __future__ import annotations

# what "best" means for a route search (costs.edge_weights)
OBJECTIVES = ("time", "cost", "co2", "generalized")

# assignment methods: all-or-nothing, deterministic user equilibrium, path-size logit SUE
METHODS = ("aon", "ue", "sue")
DEFAULT_METHOD = "sue"  # the calibrated one

# the network's tables
NODE_KINDS = ("city", "rail_terminal", "port", "border_crossing", "junction")
MODES = ("rail", "road", "ferry", "sea", "transfer")
# 'transfer' links join two terminals of one place; avoiding them only forbids every transshipment
AVOIDABLE_MODES = tuple(m for m in MODES if m != "transfer")

# the sea passages searoute reports; a sea link's `passages` lists the ones it uses
PASSAGES = ("babalmandab", "bosporus", "gibraltar", "suez", "panama", "ormuz", "northwest",
            "malacca", "sunda", "chili", "south_africa", "bering")

# the years a question or a project may name (first, last)
YEARS = (2000, 2100)

# how k routes differ: in gateways (crossings, ports, transshipments, modes) or as paths (Yen)
DISTINCT = ("gateways", "paths")

# via places a route may be asked to pass (each adds a copy of the graph to the search)
MAX_VIA = 8

# how a network folder is written out
NETWORK_FORMATS = ("gmns", "geojson", "gpkg")

# how gateway elements are ranked: by flow share or by the loss when closed
RANK_BY = ("share", "loss")

# which project pairs an appraisal values by re-assignment
PAIRS = ("auto", "all", "none")
