from ui.navigation import PageSpec

# Assessment: leaders and the office read the scores and adjust them; the office defines the scheme.
PAGES = [
    PageSpec("pages/assessment.py", "nav.assessment", ":material/leaderboard:", "nav.section.steer", 40,
             roles=("admin", "leader")),
    PageSpec("pages/admin_assessment.py", "nav.admin_assessment", ":material/rule:", "nav.section.admin", 135,
             roles=("admin",)),
]
