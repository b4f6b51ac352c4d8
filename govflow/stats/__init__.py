"""Statistics and savings: read-only figures computed from the catalog and the applications.

No models: ``savings`` works on a published definition (no database), ``selectors`` aggregates
applications and cases in the database.
"""
