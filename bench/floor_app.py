"""The floor for the benches: a bare Streamlit page with one table and one line chart, the same size
as the overview's indicator table and trend (11 rows, 8 quarters). Served by the same Streamlit, with
the same config, it is what any page costs before our code does anything."""
import pandas as pd
import streamlit as st

QUARTERS = ["2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"]

st.title("Floor")
table = pd.DataFrame({"indicator": [f"指标 {i}" for i in range(11)], "value": [f"{50 + i:.1f}%" for i in range(11)],
                      "target": ["≥ 80%"] * 11, "status": ["✔ 达标"] * 11})
st.dataframe(table, hide_index=True)
st.line_chart(pd.DataFrame({"value": [50 + 3 * i for i in range(8)]}, index=QUARTERS))
