from django.contrib.admin.apps import AdminConfig


class MotcuaAdminConfig(AdminConfig):
    """The Django admin app, with motcua's role-based admin site as its default site."""

    default_site = "motcua.core.admin_site.MotcuaAdminSite"
