"""The one-thing designer: the Django admin pages administrators compose the catalog with
(forms, views, the step diagram). An interface of the catalog domain; it imports the domain, never
the reverse."""
