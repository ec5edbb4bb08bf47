"""The public congestion page."""

from django.urls import path

from . import views

urlpatterns = [
    path("congestion/<slug:code>/", views.congestion_page, name="congestion-page"),
]
