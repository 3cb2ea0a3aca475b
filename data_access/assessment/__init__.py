"""Assessment (考核): a year's scheme for townships or departments, scored from the data.

- rules.py: the rule kinds (code) and the scoring arithmetic, exact and rounded half up;
- schemes.py: the scheme as data (items, points, rules) and leaders' adjustments, written with the
  role checked and an audit row;
- scores.py: what each item measures for each township or department, the breakdown and the ranks;
- export.py: the 考核结果 workbook and PDF.
"""
