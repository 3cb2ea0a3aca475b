from ui.navigation import PageSpec

# Steering follow-up (督办): leaders and the office assign and follow tasks and record meetings; a
# liaison reports on their own department's tasks. Not for the display account (its screen is the
# meeting mode, where the follow-up slide shows what it may see).
PAGES = [
    PageSpec("pages/tasks.py", "nav.tasks", ":material/task_alt:", "nav.section.steer", 40,
             roles=("admin", "leader", "liaison")),
    PageSpec("pages/meetings.py", "nav.meetings", ":material/groups:", "nav.section.steer", 41,
             roles=("admin", "leader")),
]
