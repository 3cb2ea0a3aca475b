"""Setting up a county from an empty database: the steps of the setup page (pages/setup.py) and of
`python -m data_access.setup`, one function each, both callers going through the same code.

    county       county.put_county                   the 6-digit code and name
    regions      divisions.load_regions              townships and villages from 统计用区划代码
    population   divisions.load_population           residents per village
    boundaries   boundaries.load_boundaries          GeoJSON / zipped Shapefile / KML (geofiles reads them)
    departments  departments.add_standard_departments (and admin.update_department for liaisons)
    catalogue    data_access.catalogue.apply_preset
    quarters     admin.open_quarters
    points       points.load_points                  the registry's bulk import, GCJ-02/BD-09 converted
    status       steps.setup_steps                   what is done, what is missing

Every load_* checks first and writes only a clean file (write=False: check only, the preview); the
check_*/apply_* pairs underneath take rows already read (the sample generator uses them).
"""
