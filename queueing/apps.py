from django.apps import AppConfig


class QueueingConfig(AppConfig):
    name = "queueing"
    verbose_name = "窓口・順番待ち"

    def ready(self):
        """Connect the security audit to sign-ins and the configuration history to its models."""
        from django.contrib.auth.models import Group, User

        from . import history, privacy, signins

        signins.connect()
        history.register()
        privacy.guard_fields(User, ["username", "first_name", "last_name", "email"])
        privacy.guard_fields(Group, ["name"])
