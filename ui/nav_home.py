from ui.navigation import PageSpec

# The leading group's views. Read-only aggregate figures, so every role may open them.
PAGES = [
    PageSpec("pages/home.py", "nav.overview", ":material/dashboard:", "nav.section.steer", 0, default=True),
    PageSpec("pages/indicator.py", "nav.indicator", ":material/monitoring:", "nav.section.steer", 10),
    PageSpec("pages/township.py", "nav.township", ":material/location_city:", "nav.section.steer", 20),
    PageSpec("pages/warnings.py", "nav.warnings", ":material/notifications_active:", "nav.section.steer", 30),
]
