from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from audit.services import record_sign_in

        user_logged_in.connect(record_sign_in, dispatch_uid="audit_record_sign_in")
