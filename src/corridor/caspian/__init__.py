"""The Caspian room: the crossing's ports, fleets and services as data, the vectorised discrete-event
engine and its simulation, and the wait curves the cost model uses.

May import: the core modules only (`corridor.errors`, `corridor.datafiles`).
"""
