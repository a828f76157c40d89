"""The network room: node and link tables, the compiled graph, reading and writing network folders,
policies (masks), geopolitics (blocs, sanctions, regions), corridor families and TNTP networks.

May import: `corridor.errors`, `corridor.readers`, `corridor.output`, `corridor.datafiles`.
"""
