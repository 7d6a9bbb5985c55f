from django.db import migrations

PERMISSION = "catalogue.manage"


def grant(apps, schema_editor):
    Role = apps.get_model("organisation", "Role")
    for role in Role.objects.filter(code="system_admin"):
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
    dependencies = [("organisation", "0003_search_key")]

    operations = [migrations.RunPython(grant, revoke)]
