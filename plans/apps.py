from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = "Conversation plans"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        import dashboard.demo  # noqa: F401  (registers its system check)
        from plans.middleware import stamp_session_at_login

        user_logged_in.connect(stamp_session_at_login, dispatch_uid="plans.stamp_session")
