from ui.navigation import PageSpec

# Quarter sign-off: the county office approves and unlocks; leaders see which quarters are approved.
PAGES = [PageSpec("pages/approval.py", "nav.approval", ":material/verified:", "nav.section.report", 40,
                  roles=("admin", "leader"))]
