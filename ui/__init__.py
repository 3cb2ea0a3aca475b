"""The thin layer between data_access and pages: language, navigation, page frame, cached reads.

Pages import from here and from data_access; they never write SQL.
"""
