from django.db import migrations

GRANTS = {
    "document.digitise": ["counter_officer", "centre_manager", "system_admin"],
    "document.view": [
        "counter_officer",
        "processing_officer",
        "agency_leader",
        "centre_manager",
        "provincial_monitor",
        "system_admin",
    ],
}


def grant(apps, schema_editor):
    Role = apps.get_model("organisation", "Role")
    for permission, roles in GRANTS.items():
        for role in Role.objects.filter(code__in=roles):
            if permission not in role.permissions:
                role.permissions = sorted([*role.permissions, permission])
                role.save(update_fields=["permissions"])


def revoke(apps, schema_editor):
    Role = apps.get_model("organisation", "Role")
    for role in Role.objects.all():  # JSON containment is not a lookup SQLite has
        kept = [p for p in role.permissions if p not in GRANTS]
        if kept != role.permissions:
            role.permissions = kept
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("organisation", "0006_dossier_view")]

    operations = [migrations.RunPython(grant, revoke)]
