"""The profile's history (pghistory event table and its two triggers), rejection
reasons and reverts.

The event table is a tenant table like any other: RLS and the tenant-carrying
keys. Its rows are written by a trigger running as whoever updates the
customer (the serving role, inside the request's tenant), so the policy's
WITH CHECK holds for them exactly as for a row the app inserts.
"""

import django.db.models.deletion
import pghistory.utils
import pgtrigger.compiler
import pgtrigger.migrations
import tenancy.keys
import tenancy.rls
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('crm_artifacts', '0003_rename_artifact_to_proposal'),
        ('tenancy', '0005_accounts'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CustomerProfileEvent',
            fields=[
                ('pgh_id', models.BigAutoField(primary_key=True, serialize=False)),
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('pgh_context', pghistory.utils.JSONField(null=True)),
                ('pgh_context_id', models.UUIDField(null=True)),
                ('profile', models.JSONField(blank=True, default=dict)),
            ],
        ),
        migrations.AddField(
            model_name='proposal',
            name='rejection_reason',
            field=models.CharField(blank=True, db_default="", default="", max_length=500),
        ),
        migrations.AddField(
            model_name='proposal',
            name='reverted_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='proposal',
            name='reverted_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='customer',
            trigger=pgtrigger.compiler.Trigger(name='profile_insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "crm_artifacts_customerprofileevent" ("pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "profile", "tenant_id") VALUES (COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'profile.insert\', NEW."id", NEW."profile", NEW."tenant_id"); RETURN NULL;', hash='a00971426018071ba01dadd3f0333919594543af', operation='INSERT', pgid='pgtrigger_profile_insert_insert_5bd3a', table='crm_artifacts_customer', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='customer',
            trigger=pgtrigger.compiler.Trigger(name='profile_update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD."profile" IS DISTINCT FROM (NEW."profile"))', func='INSERT INTO "crm_artifacts_customerprofileevent" ("pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "profile", "tenant_id") VALUES (COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'profile.update\', NEW."id", NEW."profile", NEW."tenant_id"); RETURN NULL;', hash='e71de4dadfaaf43a3f9762b8c44488a132278737', operation='UPDATE', pgid='pgtrigger_profile_update_update_2cdb5', table='crm_artifacts_customer', when='AFTER')),
        ),
        migrations.AddField(
            model_name='customerprofileevent',
            name='pgh_obj',
            field=tenancy.keys.TenantForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='profile_events', to='crm_artifacts.customer'),
        ),
        migrations.AddField(
            model_name='customerprofileevent',
            name='tenant',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenancy.tenant'),
        ),
        migrations.AddIndex(
            model_name='customerprofileevent',
            index=models.Index(fields=['tenant', 'pgh_obj', 'pgh_id'], name='crm_profile_event_idx'),
        ),
        tenancy.rls.EnableTenantRLS("customerprofileevent"),
        tenancy.keys.TenantKeys(["crm_artifacts.customerprofileevent"]),
    ]
