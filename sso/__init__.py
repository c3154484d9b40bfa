"""Single sign-on with OpenID Connect (Microsoft Entra ID or any standard provider).

mozilla-django-oidc runs the authorization code flow (state, nonce, PKCE); this app
adds what it leaves out: endpoints from the issuer's discovery document, the ID token's
issuer and audience checks, users keyed on the provider's stable subject, HR admins
membership from the groups (or roles) claim, sign-out at the provider, and clear pages
when the provider is misconfigured or unreachable.
"""
