"""The small map's tile math and its fallbacks; plain functions, no database."""
import math

import pytest

from checkpoint.board.maps import (DEFAULT_TILE_URL, TILE_SIZE, map_tile_origin, osm_link, tile_address,
                                   tile_grid, world_pixel)

# Bến Thành market, Ho Chi Minh City.
BEN_THANH = (10.77253, 106.69801)


def reference_tile(lat: float, lng: float, zoom: int) -> tuple[int, int]:
    """The OSM wiki's formula, written the other way (log of tan + sec)."""
    n = 2 ** zoom
    lat_rad = math.radians(lat)
    return int((lng + 180) / 360 * n), int((1 - math.log(math.tan(lat_rad) + 1 / math.cos(lat_rad)) / math.pi) / 2 * n)


def test_the_point_on_the_equator_at_greenwich_is_the_corner_of_four_tiles():
    assert world_pixel(0, 0, 16) == (32768.0, 32768.0)


def test_the_middle_tile_is_the_one_holding_the_point():
    grid = tile_grid(*BEN_THANH, zoom=16)
    middle = grid.tiles[4]
    assert (middle.col, middle.row, middle.x, middle.y) == (1, 1, *reference_tile(*BEN_THANH, 16))


def test_the_grid_is_three_by_three_row_by_row_around_the_middle():
    grid = tile_grid(*BEN_THANH, zoom=16)
    x, y = reference_tile(*BEN_THANH, 16)
    assert [(t.x, t.y) for t in grid.tiles] == [(x + dx, y + dy) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]


def test_the_marker_is_the_points_offset_inside_the_middle_tile():
    grid = tile_grid(*BEN_THANH, zoom=16)
    fx, fy = world_pixel(*BEN_THANH, 16)
    assert grid.marker_x == pytest.approx(TILE_SIZE + (fx % 1) * TILE_SIZE, abs=0.1)
    assert grid.marker_y == pytest.approx(TILE_SIZE + (fy % 1) * TILE_SIZE, abs=0.1)
    assert grid.size == 3 * TILE_SIZE


def test_tile_urls_follow_the_template():
    grid = tile_grid(*BEN_THANH, zoom=16, tile_url="/tiles/{z}/{x}/{y}.png")
    assert grid.tiles[4].url == "/tiles/16/{}/{}.png".format(*reference_tile(*BEN_THANH, 16))


def test_east_of_the_date_line_is_the_west_again():
    grid = tile_grid(0.0, 179.999, zoom=16)
    assert [t.x for t in grid.tiles[:3]] == [65534, 65535, 0]


def test_beyond_the_top_of_the_world_there_is_no_tile():
    grid = tile_grid(89.0, 0.0, zoom=16)
    assert [t.url for t in grid.tiles[:3]] == [None, None, None] and grid.tiles[4].y == 0


def test_a_subdomain_template_spreads_over_a_b_c():
    assert tile_address("https://{s}.tile.example.org/{z}/{x}/{y}.png", 16, 1, 1) == \
        "https://c.tile.example.org/16/1/1.png"


@pytest.mark.parametrize("template, origin", [
    (DEFAULT_TILE_URL, "https://tile.openstreetmap.org"),
    ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
    ("http://tiles.local:8080/{z}/{x}/{y}.png", "http://tiles.local:8080"),
    ("/tiles/{z}/{x}/{y}.png", None),
])
def test_the_tile_origin_for_the_content_security_policy(template, origin):
    assert map_tile_origin(template) == origin


def test_the_map_link_opens_openstreetmap_with_a_pin():
    assert osm_link(10.77253, 106.69801) == (
        "https://www.openstreetmap.org/?mlat=10.772530&mlon=106.698010#map=17/10.772530/106.698010")
