"""API tokens for external agents (a tenant table: RLS, tenant keys) and the
reviewer's response to an agent on each proposal (issue 18, section 3)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import tenancy.keys
import tenancy.rls


class Migration(migrations.Migration):

    dependencies = [
        ('crm_artifacts', '0004_profile_history'),
        ('tenancy', '0005_accounts'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='proposal',
            name='responded_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='proposal',
            name='responded_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='proposal',
            name='response_note',
            field=models.CharField(blank=True, db_default='', default='', max_length=1000),
        ),
        migrations.CreateModel(
            name='ApiToken',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('name', models.CharField(max_length=100)),
                ('can_propose', models.BooleanField(default=False)),
                ('can_read', models.BooleanField(default=False)),
                ('secret_hash', models.CharField(editable=False, max_length=64)),
                ('last_used_at', models.DateTimeField(blank=True, null=True)),
                ('revoked_at', models.DateTimeField(blank=True, null=True)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenancy.tenant')),
            ],
            options={
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(fields=['tenant', 'created_at'], name='crm_apitoken_list_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(('can_propose', True), ('can_read', True), _connector='OR'), name='crm_apitoken_has_scope')],
            },
        ),
        tenancy.rls.EnableTenantRLS("apitoken"),
        tenancy.keys.TenantKeys(["crm_artifacts.apitoken"]),
    ]
