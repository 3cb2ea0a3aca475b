from ui.navigation import PageSpec

# The meeting display account opens straight into the presentation (default_roles).
PAGES = [PageSpec("pages/meeting.py", "nav.meeting", ":material/co_present:", "nav.section.steer", 90,
                  roles=("admin", "leader", "display"), default_roles=("display",))]
