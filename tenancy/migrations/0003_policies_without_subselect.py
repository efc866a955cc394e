# Every tenant policy tests `tenant_id = NULLIF(current_setting(...), '')::bigint`
# without the sub-select it was created with: Citus refuses a policy holding a
# sub-select on a distributed table (issue 15). It depends on every app's last
# migration so that every tenant table exists; tables fenced later are created
# with the new test by EnableTenantRLS itself.

from django.db import migrations

import tenancy.rls


class Migration(migrations.Migration):

    dependencies = [
        ('tenancy', '0002_login_throttle'),
        ('skills', '0001_initial'),
        ('portfolio', '0001_initial'),
        ('messaging', '0001_initial'),
        ('workshops', '0002_step_definitions'),
        ('crm_artifacts', '0001_initial'),
    ]

    operations = [
        tenancy.rls.RewriteTenantPolicies(),
    ]
