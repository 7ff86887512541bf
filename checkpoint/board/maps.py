"""A small map without a map library: 3×3 slippy-map tiles around a point, and its fallbacks.

The tile math is Web Mercator as OpenStreetMap numbers its tiles
(https://wiki.openstreetmap.org/wiki/Slippy_map_tilenames).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app

DEFAULT_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
TILE_SIZE = 256
ZOOM = 16
GRID = 3  # tiles a side; the point is always in the middle tile
# Web Mercator stops here: beyond it the projection runs off to infinity.
MAX_LATITUDE = 85.05112878


@dataclass(frozen=True)
class Tile:
    x: int  # tile column in the world at this zoom
    y: int  # tile row
    col: int  # place in the grid, 0 … GRID-1
    row: int
    url: str | None = None  # None: above or below the world (no such tile)


@dataclass(frozen=True)
class SmallMap:
    zoom: int
    tiles: list[Tile]  # row by row, GRID × GRID
    marker_x: float  # the point, in pixels from the grid's top-left corner
    marker_y: float
    size: int = GRID * TILE_SIZE  # the grid's side in pixels


def world_pixel(lat: float, lng: float, zoom: int) -> tuple[float, float]:
    """The point in tile units at this zoom: the integer part names the tile, the rest is inside it."""
    lat = max(-MAX_LATITUDE, min(MAX_LATITUDE, lat))
    n = 2 ** zoom
    x = (lng + 180.0) / 360.0 * n
    y = (1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n
    # lng = 180 is lng = -180 again; keep x inside the world.
    return x % n, min(y, n - 1e-9)


def tile_grid(lat: float, lng: float, zoom: int = ZOOM, tile_url: str = DEFAULT_TILE_URL) -> SmallMap:
    """The GRID × GRID tiles centred on the tile holding (lat, lng), and where the point falls."""
    x, y = world_pixel(lat, lng, zoom)
    n = 2 ** zoom
    centre_x, centre_y = int(x), int(y)
    half = GRID // 2
    tiles = []
    for row in range(GRID):
        for col in range(GRID):
            tx = (centre_x - half + col) % n  # east of 180° is the west again
            ty = centre_y - half + row
            url = tile_address(tile_url, zoom, tx, ty) if 0 <= ty < n else None
            tiles.append(Tile(x=tx, y=ty, col=col, row=row, url=url))
    return SmallMap(zoom=zoom, tiles=tiles, marker_x=round((x - centre_x + half) * TILE_SIZE, 1),
                    marker_y=round((y - centre_y + half) * TILE_SIZE, 1))


def tile_address(template: str, zoom: int, x: int, y: int) -> str:
    """Fill a `{z}/{x}/{y}` tile template (an `{s}` subdomain is spread over a, b, c)."""
    return (template.replace("{z}", str(zoom)).replace("{x}", str(x)).replace("{y}", str(y))
            .replace("{s}", "abc"[(x + y) % 3]))


def tile_url_template() -> str:
    return current_app.config.get("MAP_TILE_URL", DEFAULT_TILE_URL)


def map_tile_origin(template: str | None = None) -> str | None:
    """The origin the tiles come from, for the CSP's img-src; None when they are our own."""
    parts = urlsplit(template if template is not None else tile_url_template())
    if not parts.scheme or not parts.netloc:
        return None  # a path on this site: 'self' covers it
    host = parts.netloc.replace("{s}", "*")
    return f"{parts.scheme}://{host}"


def small_map(lat: float, lng: float) -> SmallMap:
    """The map of the observation page, with tiles from the configured server."""
    return tile_grid(lat, lng, ZOOM, tile_url_template())


def osm_link(lat: float, lng: float) -> str:
    """OpenStreetMap's own page, with a pin: what "open in a map" opens."""
    return f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lng:.6f}#map=17/{lat:.6f}/{lng:.6f}"
