"""Distances and great circles on the WGS84 ellipsoid (pyproj loads on first use)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyproj import Geod


@cache
def _geod() -> Geod:
    from pyproj import Geod

    return Geod(ellps="WGS84")


def distance_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Geodesic distance between two points, in km."""
    return float(_geod().inv(lon1, lat1, lon2, lat2)[2]) / 1000.0


def great_circle_points(lon1: float, lat1: float, lon2: float, lat2: float,
                        n: int) -> list[tuple[float, float]]:
    """`n` points strictly between the two ends, evenly spaced on the geodesic."""
    return [tuple(p) for p in _geod().npts(lon1, lat1, lon2, lat2, n)] if n > 0 else []
