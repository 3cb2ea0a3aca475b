"""GCJ-02 / BD-09 to WGS84 against reference coordinates published by two other implementations
(eviltransform's test vectors; coordtransform's documented results), and round trips."""
from __future__ import annotations

import pytest

from data_access import coords

# eviltransform's tests: (WGS84 lat, lng) -> (GCJ-02 lat, lng), Shanghai, Shenzhen, Beijing.
GCJ_VECTORS = [
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),
]


@pytest.mark.parametrize("wgs, gcj", GCJ_VECTORS)
def test_gcj02_reference_vectors_both_ways(wgs, gcj) -> None:  # noqa: ANN001
    lon, lat = coords.from_wgs84(wgs[1], wgs[0], coords.GCJ02)
    assert (lon, lat) == pytest.approx((gcj[1], gcj[0]), abs=1e-9)
    back = coords.to_wgs84(gcj[1], gcj[0], coords.GCJ02)
    assert back == pytest.approx((wgs[1], wgs[0]), abs=1e-7)   # about 1 cm


def test_coordtransform_documented_results() -> None:
    # wandergis/coordtransform's README example at (116.404, 39.915): its rough inverse gives
    # 116.39775550, 39.91359572; the precise inverse lands within a metre of it and exactly round-trips.
    lon, lat = coords.to_wgs84(116.404, 39.915, coords.GCJ02)
    assert (lon, lat) == pytest.approx((116.39775550083061, 39.91359571849836), abs=2e-5)
    assert coords.from_wgs84(lon, lat, coords.GCJ02) == pytest.approx((116.404, 39.915), abs=1e-9)
    assert coords.from_wgs84(116.404, 39.915, coords.GCJ02) == pytest.approx((116.41024449916938, 39.91640428150164),
                                                                             abs=1e-9)


def test_bd09_round_trip_and_size_of_offsets() -> None:
    for lon, lat in [(116.404, 39.915), (120.019809, 29.199786), (104.5, 30.3), (117.2, 31.65)]:
        bd = coords.from_wgs84(lon, lat, coords.BD09)
        assert coords.to_wgs84(*bd, coords.BD09) == pytest.approx((lon, lat), abs=1e-7)
        gcj = coords.from_wgs84(lon, lat, coords.GCJ02)
        # The offsets the field notes warn of: hundreds of metres, enough to change village.
        assert 250 < coords.shift_metres(*gcj, coords.GCJ02) < 700
        assert 600 < coords.shift_metres(*bd, coords.BD09) < 1500


def test_wgs84_and_outside_china_are_unchanged() -> None:
    assert coords.to_wgs84(104.1, 30.2, coords.WGS84) == (104.1, 30.2)
    assert coords.to_wgs84(2.35, 48.85, coords.GCJ02) == (2.35, 48.85)   # Paris: no offset applies
    with pytest.raises(ValueError):
        coords.to_wgs84(104.1, 30.2, "gcj-02")
