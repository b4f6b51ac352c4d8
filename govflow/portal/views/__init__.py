"""The citizen portal: find a one thing, apply once, follow it, correct it, finish it.

Server-rendered, works without JavaScript. Every write goes through the domain services (the same
ones the API calls); every application is fetched through ``application_for_citizen``, so another
citizen's application is a 404 here as in the API. One module per part of the journey.
"""
