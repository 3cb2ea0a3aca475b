from ui.navigation import PageSpec

PAGES = [PageSpec("pages/home.py", "nav.home", ":material/home:", "nav.section.steer", 0, default=True)]
