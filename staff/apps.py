from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = "窓口・監督者画面"
