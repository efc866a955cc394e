# Primary keys (tenant_id, id) on every tenant table and foreign keys
# (tenant_id, x_id) -> (tenant_id, id) between them (tenancy/keys.py): Citus
# distributes by tenant_id and needs it in both, and the database itself now
# refuses a reference to another tenant's row. Each app's preceding migration
# turned its foreign keys between tenant models into TenantForeignKeys, which
# dropped their single-column constraints.

from django.db import migrations

import tenancy.keys


class Migration(migrations.Migration):

    dependencies = [
        ('tenancy', '0003_policies_without_subselect'),
        ('skills', '0002_tenant_foreign_keys'),
        ('portfolio', '0001_initial'),
        ('messaging', '0002_tenant_foreign_keys'),
        ('workshops', '0003_tenant_foreign_keys'),
        ('crm_artifacts', '0002_tenant_foreign_keys'),
    ]

    operations = [
        tenancy.keys.TenantKeys(
            [
                'skills.skill',
                'portfolio.workartifact',
                'messaging.skillmessage',
                'workshops.workshop',
                'workshops.workshopstep',
                'workshops.chatmessage',
                'workshops.stepartifact',
                'workshops.stepsummary',
                'crm_artifacts.customer',
                'crm_artifacts.artifact',
                'crm_artifacts.followup',
            ]
        ),
    ]
