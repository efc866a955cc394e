"""The model `Artifact` becomes `Proposal` in the code; its table keeps its name.

AlterModelTable first pins the current table name in the model state, so the
RenameModel that follows renames nothing in the database (the old and new
table names are equal) and only updates the state and the foreign keys that
point at the model (FollowUp.artifact), whose columns and constraints stay.
No row moves, and the operations reverse in the same way.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("crm_artifacts", "0002_tenant_foreign_keys"),
        # tenancy 0004 reads the model as "crm_artifacts.artifact": it must run first.
        ("tenancy", "0005_accounts"),
    ]

    operations = [
        migrations.AlterModelTable(name="artifact", table="crm_artifacts_artifact"),
        migrations.RenameModel(old_name="Artifact", new_name="Proposal"),
    ]
