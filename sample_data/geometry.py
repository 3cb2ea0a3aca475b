"""Plausible, tiling region polygons without a GIS library.

A jittered lattice is laid over a county; each cell is a township, and a finer jittered lattice
inside each township cell (bilinear, so it follows the cell's edges) gives its villages.
Neighbouring polygons therefore share edges: no gaps or overlaps on the map.
"""
from __future__ import annotations

import random

Point = tuple[float, float]
Quad = tuple[Point, Point, Point, Point]  # (south-west, south-east, north-east, north-west)


def jittered_lattice(rng: random.Random, corners: Quad, nx: int, ny: int, jitter: float,
                     jitter_edges: bool = False) -> list[list[Point]]:
    """(ny+1) x (nx+1) lattice points spanning the quad, interior points moved by up to jitter of a cell."""
    sw, se, ne, nw = corners
    rows = []
    for j in range(ny + 1):
        row = []
        for i in range(nx + 1):
            u, v = i / nx, j / ny
            interior = 0 < i < nx and 0 < j < ny
            if interior or jitter_edges:
                du = rng.uniform(-jitter, jitter) / nx if 0 < i < nx or jitter_edges else 0.0
                dv = rng.uniform(-jitter, jitter) / ny if 0 < j < ny or jitter_edges else 0.0
                u, v = u + du, v + dv
            row.append(bilinear(corners, u, v))
        rows.append(row)
    return rows


def bilinear(corners: Quad, u: float, v: float) -> Point:
    sw, se, ne, nw = corners
    x = (1 - u) * (1 - v) * sw[0] + u * (1 - v) * se[0] + u * v * ne[0] + (1 - u) * v * nw[0]
    y = (1 - u) * (1 - v) * sw[1] + u * (1 - v) * se[1] + u * v * ne[1] + (1 - u) * v * nw[1]
    return (round(x, 5), round(y, 5))


def cells(lattice: list[list[Point]]) -> list[list[Quad]]:
    """cells[j][i]: the quad between lattice rows j..j+1 and columns i..i+1."""
    out = []
    for j in range(len(lattice) - 1):
        row = []
        for i in range(len(lattice[0]) - 1):
            row.append((lattice[j][i], lattice[j][i + 1], lattice[j + 1][i + 1], lattice[j + 1][i]))
        out.append(row)
    return out


def split_west_east(quad: Quad, at: float = 0.5) -> tuple[Quad, Quad]:
    sw, se, ne, nw = quad
    south = bilinear(quad, at, 0.0)
    north = bilinear(quad, at, 1.0)
    return (sw, south, north, nw), (south, se, ne, north)


def polygon(quad: Quad) -> dict:
    ring = [list(p) for p in quad] + [list(quad[0])]
    return {"type": "Polygon", "coordinates": [ring]}


def centroid(quad: Quad) -> Point:
    return bilinear(quad, 0.5, 0.5)


def point_inside(rng: random.Random, quad: Quad, spread: float = 0.3) -> Point:
    return bilinear(quad, 0.5 + rng.uniform(-spread, spread), 0.5 + rng.uniform(-spread, spread))
