"""Static maps and charts (matplotlib, imported only when a figure is drawn; no display needed).

May import: anything below the interfaces.
"""
