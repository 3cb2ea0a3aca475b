"""The HTTP side of serving the app: routes beside Streamlit's own (serve.py mounts them)."""
