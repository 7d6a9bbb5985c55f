from django.db import migrations

PERMISSION = "interop.manage"
ROLES = ["system_admin"]


def grant(apps, schema_editor):
    Role = apps.get_model("organisation", "Role")
    for role in Role.objects.filter(code__in=ROLES):
        if PERMISSION not in role.permissions:
            role.permissions = sorted([*role.permissions, PERMISSION])
            role.save(update_fields=["permissions"])


def revoke(apps, schema_editor):
    Role = apps.get_model("organisation", "Role")
    for role in Role.objects.all():  # JSON containment is not a lookup SQLite has
        if PERMISSION in role.permissions:
            role.permissions = [p for p in role.permissions if p != PERMISSION]
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("organisation", "0007_document_permissions")]

    operations = [migrations.RunPython(grant, revoke)]
