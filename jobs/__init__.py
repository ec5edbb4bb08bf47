"""Scheduled work run inside the product's own process set (``manage.py jobs_run``)."""
