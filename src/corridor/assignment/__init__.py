"""The assignment room: freight demand on the network with capacity. The equilibrium engine (pure
arrays), choice sets, the path-size logit, welfare (log-sums), parameters and results.

May import: the routing and network rooms, `corridor.costs`, `corridor.world`, `corridor.demand`.
"""
