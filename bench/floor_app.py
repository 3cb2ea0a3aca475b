"""The floor for the benches: bare Streamlit pages, served by the same Streamlit with the same config.

- "table" (default page) and "table2": one table and one line chart each, the size of the overview's
  indicator table and trend (11 rows, 8 quarters). A click between them is what any page costs
  before our code does anything.
- "map": the coverage map's own deck (the same polygons and points, from the bench database), alone
  on a page: what drawing the map costs a browser before anything else on the map page.
No sign-in, no database beyond the map's one read.
"""
import pandas as pd
import streamlit as st

QUARTERS = ["2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"]


def table_page() -> None:
    st.title("Floor")
    table = pd.DataFrame({"indicator": [f"指标 {i}" for i in range(11)],
                          "value": [f"{50 + i:.1f}%" for i in range(11)],
                          "target": ["≥ 80%"] * 11, "status": ["✔ 达标"] * 11})
    st.dataframe(table, hide_index=True)
    st.line_chart(pd.DataFrame({"value": [50 + 3 * i for i in range(8)]}, index=QUARTERS))


@st.cache_resource
def _deck():  # noqa: ANN202
    from data_access import db, geo
    from data_access import indicators as ix

    with db.session_scope() as s:
        data = geo.build_map(s, ix.default_period(s))
    deck = geo.deck(data)
    deck.to_json()
    return deck


def map_page() -> None:
    st.title("Floor map")
    st.pydeck_chart(_deck(), height=620)


st.navigation([st.Page(table_page, title="table", url_path="table", default=True),
               st.Page(table_page, title="table2", url_path="table2"),
               st.Page(map_page, title="map", url_path="map")]).run()
