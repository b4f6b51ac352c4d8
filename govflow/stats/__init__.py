"""Statistics and savings: figures computed from the catalog and the applications.

``savings`` works on a published definition (no database); ``selectors``, ``heatmap``, ``stages``,
``reform`` and ``ratings`` aggregate applications and cases in the database, reading the daily
summary kept by ``rollups`` (its models: ``models``; its beat job: ``tasks``) for the days it covers.
"""
