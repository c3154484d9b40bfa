"""Authentication backend: Django's ModelBackend, reading a user's permissions in one query."""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q


class OneQueryModelBackend(ModelBackend):
    """ModelBackend whose permission check costs one query instead of two.

    Every plan page checks plans.view_plans. ModelBackend reads a user's own
    permissions and their groups' permissions with a query each; HR admins get theirs
    from a group, so both ran on every page view. Here one query reads both, with the
    same rules: nothing for inactive or anonymous users or object permissions, every
    permission for superusers. tests/test_access.py compares it with ModelBackend.
    """

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                perms = Permission.objects.all()
            else:
                perms = Permission.objects.filter(Q(user=user_obj) | Q(group__user=user_obj))
            pairs = perms.values_list("content_type__app_label", "codename").order_by()
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in pairs}
        return user_obj._perm_cache
