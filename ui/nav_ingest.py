from ui.navigation import PageSpec

# Reporting: liaisons hand in their department's sheet; leaders see who has reported.
PAGES = [
    PageSpec("pages/upload.py", "nav.upload", ":material/upload_file:", "nav.section.report", 10,
             roles=("admin", "liaison")),
    PageSpec("pages/submissions.py", "nav.submissions", ":material/history_edu:", "nav.section.report", 20,
             roles=("admin", "liaison", "leader")),
    PageSpec("pages/completeness.py", "nav.completeness", ":material/fact_check:", "nav.section.report", 30,
             roles=("admin", "leader", "liaison")),
]
