from django.db import migrations

from motcua.organisation.roles import DEFAULT_ROLES


def create_roles(apps, schema_editor):
    Role = apps.get_model("organisation", "Role")
    for role in DEFAULT_ROLES:
        Role.objects.get_or_create(code=role["code"], defaults=role)


def delete_roles(apps, schema_editor):
    Role = apps.get_model("organisation", "Role")
    Role.objects.filter(code__in=[role["code"] for role in DEFAULT_ROLES]).delete()


class Migration(migrations.Migration):
    dependencies = [("organisation", "0001_initial")]

    operations = [migrations.RunPython(create_roles, delete_roles)]
