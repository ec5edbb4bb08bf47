"""Lobby display pages."""

from django.urls import path

from . import views

urlpatterns = [
    path("display/<str:key>/", views.display_page, name="display-page"),
]
