"""The scenarios room: what-if files (schema, reading, validation), applying them to a world, running
and comparing them.

May import: the model rooms (routing, assignment, caspian), the network room and the core; and
`corridor.store` to record runs.
"""
