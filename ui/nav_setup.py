from ui.navigation import PageSpec

# The county's setup, for the administrator: their landing page until every step is done
# (ui.data_setup.needs_setup), then one page of the administration section among the others.
PAGES = [PageSpec("pages/setup.py", "nav.setup", ":material/rocket_launch:", "nav.section.admin", 90, ("admin",),
                  default_roles=("admin",), landing_if="ui.data_setup:needs_setup")]
