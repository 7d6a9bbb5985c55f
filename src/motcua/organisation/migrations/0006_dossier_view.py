from django.db import migrations

PERMISSION = "dossier.view"
ROLES = [
    "counter_officer",
    "processing_officer",
    "agency_leader",
    "centre_manager",
    "provincial_monitor",
    "system_admin",
]


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
    dependencies = [("organisation", "0005_service_point_agency_and_areas")]

    operations = [migrations.RunPython(grant, revoke)]
