from ui.navigation import PageSpec

# The leading group's views: read-only aggregates for the signed-in staff. Not for the meeting-room
# display account: these pages show township figures without small-count suppression, and the
# display account's public screen is the meeting mode, which suppresses them.
STAFF = ("admin", "leader", "liaison")
PAGES = [
    PageSpec("pages/home.py", "nav.overview", ":material/dashboard:", "nav.section.steer", 0, default=True, roles=STAFF),
    PageSpec("pages/indicator.py", "nav.indicator", ":material/monitoring:", "nav.section.steer", 10, roles=STAFF),
    PageSpec("pages/township.py", "nav.township", ":material/location_city:", "nav.section.steer", 20, roles=STAFF),
    PageSpec("pages/warnings.py", "nav.warnings", ":material/notifications_active:", "nav.section.steer", 30, roles=STAFF),
]
