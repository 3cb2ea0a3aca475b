from ui.navigation import PageSpec

# Administration (系统管理): the county office only. Other roles do not get these links, and their
# URLs show a "not allowed" sentence instead of the page (app.py).
ADMIN = ("admin",)
PAGES = [
    PageSpec("pages/admin_users.py", "nav.admin_users", ":material/manage_accounts:", "nav.section.admin", 100, ADMIN),
    PageSpec("pages/admin_regions.py", "nav.admin_regions", ":material/map:", "nav.section.admin", 110, ADMIN),
    PageSpec("pages/admin_import.py", "nav.admin_import", ":material/upload_file:", "nav.section.admin", 115, ADMIN),
    PageSpec("pages/admin_departments.py", "nav.admin_departments", ":material/apartment:", "nav.section.admin", 120,
             ADMIN),
    PageSpec("pages/admin_indicators.py", "nav.admin_indicators", ":material/flag:", "nav.section.admin", 130, ADMIN),
    PageSpec("pages/admin_periods.py", "nav.admin_periods", ":material/event:", "nav.section.admin", 140, ADMIN),
    PageSpec("pages/admin_audit.py", "nav.admin_audit", ":material/history:", "nav.section.admin", 150, ADMIN),
]
