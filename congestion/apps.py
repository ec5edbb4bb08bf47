from django.apps import AppConfig


class CongestionConfig(AppConfig):
    name = "congestion"
    verbose_name = "混雑状況"
