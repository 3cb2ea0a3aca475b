from ui.navigation import ALL_ROLES, PageSpec

# Every role: one's own account and password (also reachable from the sidebar link).
PAGES = [PageSpec("pages/account.py", "nav.account", ":material/account_circle:", "nav.section.admin", 900,
                  roles=ALL_ROLES)]
