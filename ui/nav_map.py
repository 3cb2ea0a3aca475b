from ui.navigation import PageSpec

# The map is for everyone who steers or presents; the registry is read by leaders and liaisons and
# edited by administrators (the edit forms check the role again, and data_access checks the Actor).
PAGES = [
    PageSpec("pages/map.py", "nav.map", ":material/map:", "nav.section.steer", 30),
    PageSpec("pages/registry.py", "nav.registry", ":material/location_on:", "nav.section.steer", 31,
             roles=("admin", "leader", "liaison")),
]
