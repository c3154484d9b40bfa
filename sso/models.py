from django.conf import settings
from django.db import models


class OIDCIdentity(models.Model):
    """The provider's stable identity of a dashboard user.

    Names and e-mail addresses change (marriage, a new domain); the subject (`sub`) an
    issuer gives a person never does, so a renamed person keeps their one account.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oidc_identity"
    )
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "single sign-on identity"
        verbose_name_plural = "single sign-on identities"
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="unique_oidc_subject")
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"
