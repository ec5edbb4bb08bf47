"""Lobby display pages."""

from django.urls import path

from . import join_code, views

urlpatterns = [
    path("display/<str:key>/", views.display_page, name="display-page"),
    path("display/<str:key>/join-code/", join_code.display_join_code, name="display-join-code"),
]
