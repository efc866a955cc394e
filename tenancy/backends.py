"""Django's ModelBackend, reading the signed-in user's tenant with the user.

Every signed-in request loads its user from the session; pages that name the
organisation (the dashboard, the admin) then read `user.tenant`, which was a
second round trip. `select_related` makes it one (docs/performance.md).
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from tenancy.models import User


class TenantUserBackend(ModelBackend):
    def get_user(self, user_id: int) -> User | None:
        try:
            user = User._default_manager.select_related("tenant").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
