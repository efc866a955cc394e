"""Step versions (issue 12): every saved artifact and summary kept, and titles for the form.

- `StepVersion`, a tenant table (RLS and tenant keys like every other), with a
  row backfilled for each artifact and summary saved before it existed (their
  current version, credited to the workshop's owner, who alone could save).
- Titles on the shipped schemas' fields and list items: the artifact editor is
  generated from the schema and labels its fields with them. Annotations only,
  nothing validates differently, so the schema version stays 1.0.
"""

import django.db.models.deletion
import tenancy.keys
import tenancy.rls
import workshops.models
from django.conf import settings
from django.db import migrations, models

# step id -> property -> (title, item title or None, {sub-property: title}).
TITLES = {
    "challenge": {
        "problem_statement": ("Problem statement", None, {}),
        "who_is_affected": ("Who is affected", None, {}),
        "evidence": ("Evidence", "Piece of evidence", {}),
        "success_criteria": ("Success criteria", "Success criterion", {}),
    },
    "stakeholder-mapping": {
        "stakeholders": (
            "Stakeholders",
            "Stakeholder",
            {"name": "Name", "interest": "Interest", "influence": "Influence"},
        ),
    },
    "ideation": {
        "ideas": ("Ideas", "Idea", {"title": "Title", "description": "Description"}),
    },
    "prioritisation": {
        "priorities": (
            "Priorities",
            "Priority",
            {"idea": "Idea", "impact": "Impact", "effort": "Effort", "rationale": "Rationale"},
        ),
    },
    "action-plan": {
        "actions": ("Actions", "Action", {"action": "Action", "owner": "Owner", "due": "Due date"}),
        "next_review": ("Next review", None, {}),
    },
}


def _retitle(schema, titles, add):
    for name, (title, item_title, sub_titles) in titles.items():
        prop = schema["properties"].get(name)
        if prop is None:
            continue
        if add:
            prop["title"] = title
        else:
            prop.pop("title", None)
        items = prop.get("items")
        if item_title and isinstance(items, dict):
            if add:
                items["title"] = item_title
            else:
                items.pop("title", None)
            for sub, sub_title in sub_titles.items():
                if sub in items.get("properties", {}):
                    if add:
                        items["properties"][sub]["title"] = sub_title
                    else:
                        items["properties"][sub].pop("title", None)
    return schema


def add_titles(apps, schema_editor, add=True):
    StepDefinition = apps.get_model("workshops", "StepDefinition")
    for definition in StepDefinition.objects.filter(id__in=list(TITLES)):
        definition.schema = _retitle(definition.schema, TITLES[definition.id], add)
        definition.save(update_fields=["schema"])


def remove_titles(apps, schema_editor):
    add_titles(apps, schema_editor, add=False)


BACKFILL = """
INSERT INTO workshops_stepversion
    (tenant_id, workshop_step_id, kind, version, content, saved_by_id, saved_at, note)
SELECT a.tenant_id, a.workshop_step_id, 'artifact', a.version, a.artifact, w.owner_id,
       a.extracted_at, 'Saved before history was kept'
FROM workshops_stepartifact a
JOIN workshops_workshopstep s ON s.tenant_id = a.tenant_id AND s.id = a.workshop_step_id
JOIN workshops_workshop w ON w.tenant_id = s.tenant_id AND w.id = s.workshop_id
UNION ALL
SELECT m.tenant_id, m.workshop_step_id, 'summary', m.version, to_jsonb(m.summary), w.owner_id,
       m.generated_at, 'Saved before history was kept'
FROM workshops_stepsummary m
JOIN workshops_workshopstep s ON s.tenant_id = m.tenant_id AND s.id = m.workshop_step_id
JOIN workshops_workshop w ON w.tenant_id = s.tenant_id AND w.id = s.workshop_id
"""


def backfill_versions(apps, schema_editor):
    """One version row per artifact and summary saved so far, tenant by tenant:
    row-level security is forced on the owner role too, so each tenant's rows
    are visible only with that tenant set (for this transaction only)."""
    Tenant = apps.get_model("tenancy", "Tenant")
    with schema_editor.connection.cursor() as cursor:
        for tenant_id in Tenant.objects.values_list("pk", flat=True):
            cursor.execute("SELECT set_config('app.current_tenant_id', %s, true)", [str(tenant_id)])
            cursor.execute(BACKFILL)
        cursor.execute("SELECT set_config('app.current_tenant_id', '', true)")


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0005_accounts"),
        ("workshops", "0003_tenant_foreign_keys"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="StepVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[("artifact", "Artifact"), ("summary", "Summary")], max_length=10
                    ),
                ),
                ("version", models.PositiveIntegerField()),
                ("content", models.JSONField()),
                ("saved_at", models.DateTimeField(default=workshops.models.now_ms)),
                ("note", models.CharField(blank=True, max_length=300)),
                (
                    "saved_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "tenant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tenancy.tenant",
                    ),
                ),
                (
                    "workshop_step",
                    tenancy.keys.TenantForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="versions",
                        to="workshops.workshopstep",
                    ),
                ),
            ],
            options={
                "ordering": ["workshop_step", "kind", "-version"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("tenant", "workshop_step", "kind", "version"),
                        name="workshops_step_version_unique",
                    )
                ],
            },
        ),
        tenancy.rls.EnableTenantRLS("stepversion"),
        tenancy.keys.TenantKeys(["workshops.stepversion"]),
        migrations.RunPython(add_titles, remove_titles),
        migrations.RunPython(backfill_versions, migrations.RunPython.noop),
    ]
