"""The routing room: searches on the compiled graph, the k best distinct routes, corridor comparison
and route results.

May import: the network room, `corridor.costs`, `corridor.world` and the core modules below them.
"""
