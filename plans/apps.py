from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = "Conversation plans"

    def ready(self) -> None:
        import dashboard.demo  # noqa: F401  (registers its system check)
