"""The generator's SQL: one INSERT ... SELECT per table, for one tenant at a time.

Every statement runs inside the tenant's `tenant_context` (%(tenant)s is that
tenant), so row-level security's WITH CHECK vets each row it writes. Arrays
of sample values come in as parameters (loadtest/samples.py) and are picked
by row number, so the same tenant number always gets the same content.
"""

TENANT_SQL = """
INSERT INTO tenancy_tenant (name, slug, created_at)
VALUES (%(name)s, %(slug)s, now())
RETURNING id
"""

USERS_SQL = """
INSERT INTO tenancy_user
    (password, is_superuser, email, display_name, is_active, is_staff, date_joined, tenant_id)
SELECT %(password)s, false, 'user' || n || '@' || %(slug)s || '.test', 'Load user ' || n,
       true, false, now(), %(tenant)s
FROM generate_series(1, %(count)s) AS n
RETURNING id, email
"""

SKILLS_SQL = """
INSERT INTO skills_skill (created_at, updated_at, tenant_id, author_id, name, description)
SELECT now(), now(), %(tenant)s, (a.users)[(n - 1) / %(per_user)s + 1],
       (a.names)[mod(n - 1, cardinality(a.names)) + 1] || ' ' || n,
       'A skill of the load-test catalogue.'
FROM generate_series(1, %(count)s) AS n
CROSS JOIN (SELECT %(users)s::bigint[] AS users, %(names)s::text[] AS names) AS a
RETURNING id, name
"""

WORK_ARTIFACTS_SQL = """
INSERT INTO portfolio_workartifact
    (id, created_at, updated_at, tenant_id, user_id, title, description, category, artifact_date,
     file_name, file_type, extracted_text, text_truncated, suggested_skill_ids,
     dismissed_skill_ids, estimated_hours_saved)
SELECT gen_random_uuid()::text, x.made, x.made, %(tenant)s, (a.users)[(n - 1) / %(per_user)s + 1],
       (a.titles)[x.i], (a.descriptions)[x.i], (a.categories)[x.i],
       date '2019-01-01' + mod(n * 37, 1800),
       (a.file_names)[x.i], (a.file_types)[x.i], (a.texts)[x.i], false,
       ARRAY[(a.skills)[mod(n - 1, cardinality(a.skills)) + 1]::text,
             (a.skills)[mod(n, cardinality(a.skills)) + 1]::text],
       '{}', mod(n * 7, 40) / 2.0 + 0.5
FROM generate_series(1, %(count)s) AS n
CROSS JOIN (
    SELECT %(users)s::bigint[] AS users, %(skills)s::bigint[] AS skills,
           %(titles)s::text[] AS titles, %(descriptions)s::text[] AS descriptions,
           %(categories)s::text[] AS categories, %(file_names)s::text[] AS file_names,
           %(file_types)s::text[] AS file_types, %(texts)s::text[] AS texts
) AS a
CROSS JOIN LATERAL (
    SELECT mod(n - 1, cardinality(a.titles)) + 1 AS i, now() - make_interval(hours => n) AS made
) AS x
"""

# Message k to user r is about one of r's own skills (r is its author, so r may
# answer it); odd k are pending, k = 1, 5, 9... unread. (subject, parent) pairs
# never repeat for one recipient, so the one-pending-per-pair rule holds.
MESSAGES_SQL = """
INSERT INTO messaging_skillmessage
    (tenant_id, from_user_id, to_user_id, subject_skill_id, proposed_parent_skill_id, message,
     status, created_at, read_at)
SELECT %(tenant)s, (a.users)[mod(r, cardinality(a.users)) + 1], (a.users)[r],
       (a.skills)[x.subject], (a.skills)[mod(x.subject - 1 + x.step, cardinality(a.skills)) + 1],
       (a.texts)[mod(k - 1, cardinality(a.texts)) + 1],
       CASE WHEN mod(k, 2) = 1 THEN 'pending' WHEN mod(k, 4) = 0 THEN 'accepted'
            ELSE 'declined' END,
       x.sent, CASE WHEN mod(k, 4) = 1 THEN NULL ELSE x.sent + interval '1 hour' END
FROM generate_series(1, cardinality(%(users)s::bigint[])) AS r
CROSS JOIN generate_series(1, %(per_user)s) AS k
CROSS JOIN (
    SELECT %(users)s::bigint[] AS users, %(skills)s::bigint[] AS skills, %(texts)s::text[] AS texts
) AS a
CROSS JOIN LATERAL (
    SELECT (r - 1) * %(skills_per_user)s + mod(k - 1, %(skills_per_user)s) + 1 AS subject,
           (k - 1) / %(skills_per_user)s + 1 AS step,
           now() - make_interval(hours => (%(per_user)s - k) * 5 + r) AS sent
) AS x
"""

WORKSHOPS_SQL = """
INSERT INTO workshops_workshop (created_at, updated_at, tenant_id, owner_id, title)
SELECT now() - make_interval(days => n), now() - make_interval(days => n), %(tenant)s,
       (a.users)[mod(n - 1, cardinality(a.users)) + 1],
       (a.titles)[mod(n - 1, cardinality(a.titles)) + 1]
FROM generate_series(1, %(count)s) AS n
CROSS JOIN (SELECT %(users)s::bigint[] AS users, %(titles)s::text[] AS titles) AS a
"""

STEPS_SQL = """
INSERT INTO workshops_workshopstep
    (created_at, updated_at, tenant_id, workshop_id, step_definition_id, status)
SELECT w.created_at, w.created_at, w.tenant_id, w.id, d.id,
       CASE WHEN d.id = ANY(%(done)s::text[]) THEN 'done'
            WHEN d.id = %(current)s THEN 'in_progress' ELSE 'not_started' END
FROM workshops_workshop AS w
CROSS JOIN workshops_stepdefinition AS d
WHERE w.tenant_id = %(tenant)s
"""

CHAT_SQL = """
INSERT INTO workshops_chatmessage (tenant_id, workshop_step_id, step_id, role, content, created_at)
SELECT s.tenant_id, s.id, s.step_definition_id,
       CASE WHEN mod(j, 2) = 1 THEN 'user' ELSE 'assistant' END,
       CASE WHEN mod(j, 2) = 1
            THEN (a.user_lines)[mod(s.id + j, cardinality(a.user_lines)) + 1]
            ELSE (a.assistant_lines)[mod(j / 2 - 1, cardinality(a.assistant_lines)) + 1] END,
       s.created_at + make_interval(mins => j)
FROM workshops_workshopstep AS s
CROSS JOIN generate_series(1, %(turns)s) AS j
CROSS JOIN (
    SELECT %(user_lines)s::text[] AS user_lines, %(assistant_lines)s::text[] AS assistant_lines
) AS a
WHERE s.tenant_id = %(tenant)s AND s.status <> 'not_started'
"""

# Saved twice (version 2), as after an edit: the page shows a versioned artifact.
STEP_ARTIFACTS_SQL = """
INSERT INTO workshops_stepartifact
    (id, tenant_id, workshop_step_id, step_id, artifact, schema_version, extracted_at, version)
SELECT 'art_' || replace(gen_random_uuid()::text, '-', ''), s.tenant_id, s.id,
       s.step_definition_id, %(artifacts)s::jsonb -> s.step_definition_id, d.schema_version,
       date_trunc('milliseconds', s.created_at + interval '1 hour'), 2
FROM workshops_workshopstep AS s
JOIN workshops_stepdefinition AS d ON d.id = s.step_definition_id
WHERE s.tenant_id = %(tenant)s AND s.status = 'done'
"""

STEP_SUMMARIES_SQL = """
INSERT INTO workshops_stepsummary
    (id, tenant_id, workshop_step_id, step_id, summary, token_count, generated_at, version)
SELECT 'sum_' || replace(gen_random_uuid()::text, '-', ''), s.tenant_id, s.id,
       s.step_definition_id, %(summary)s, %(tokens)s,
       date_trunc('milliseconds', s.created_at + interval '2 hours'), 1
FROM workshops_workshopstep AS s
WHERE s.tenant_id = %(tenant)s AND s.status = 'done'
"""

CUSTOMERS_SQL = """
INSERT INTO crm_artifacts_customer (created_at, updated_at, tenant_id, rm_id, profile)
SELECT now() - make_interval(days => n), now(), %(tenant)s,
       (a.users)[(n - 1) / %(per_user)s + 1],
       %(profile)s::jsonb || jsonb_build_object(
           'fullName', (a.first)[mod(n - 1, cardinality(a.first)) + 1] || ' '
                       || (a.last)[mod((n - 1) / cardinality(a.first), cardinality(a.last)) + 1]
                       || ' ' || n,
           'email', 'customer' || n || '@' || %(slug)s || '.example')
FROM generate_series(1, %(count)s) AS n
CROSS JOIN (
    SELECT %(users)s::bigint[] AS users, %(first)s::text[] AS first, %(last)s::text[] AS last
) AS a
"""

# Proposal j of a customer is in batch (j - 1) / BATCH_SIZE and proposes field
# (j - 1) mod 12: a batch never names a field twice. The newest batches are
# pending with previous_value = the profile's value (so they accept cleanly);
# the older ones are accepted, rejected or edited, and the accepted ones ran the
# follow-up workflow (pending ones name none, so accepting them runs no task).
CRM_ARTIFACTS_SQL = """
INSERT INTO crm_artifacts_artifact
    (created_at, batch_id, version, artifact_type, status, created_by_type, created_by_id,
     payload, workflow_trigger, decided_at, decided_by_id, rm_id, tenant_id, customer_id)
SELECT x.made, %(slug)s || '-c' || c.id || '-b' || x.batch, 1, 'profile_edit', x.status,
       'agent', %(creator)s,
       jsonb_build_object(
           'field_key', x.key,
           'field_display_name', (a.labels)[x.f],
           'proposed_value', a.samples -> x.key -> x.pick,
           'previous_value', c.profile -> x.key,
           'source_text', %(source_text)s,
           'confidence', (a.confidences)[mod(j - 1, cardinality(a.confidences)) + 1]
       ) || CASE WHEN x.status = 'edited'
                 THEN jsonb_build_object('edited_value', a.samples -> x.key -> x.edit)
                 ELSE '{}'::jsonb END,
       CASE WHEN x.status IN ('accepted', 'edited') THEN %(workflow)s END,
       CASE WHEN x.status = 'pending' THEN NULL ELSE x.made + interval '1 hour' END,
       CASE WHEN x.status = 'pending' THEN NULL ELSE c.rm_id END,
       c.rm_id, c.tenant_id, c.id
FROM crm_artifacts_customer AS c
CROSS JOIN generate_series(1, %(per_customer)s) AS j
CROSS JOIN (
    SELECT %(keys)s::text[] AS keys, %(labels)s::text[] AS labels, %(samples)s::jsonb AS samples,
           %(confidences)s::text[] AS confidences
) AS a
CROSS JOIN LATERAL (
    SELECT b.batch, b.f, b.key,
           CASE WHEN b.batch >= %(batches)s - %(pending_batches)s THEN 'pending'
                WHEN mod(j, 3) = 0 THEN 'accepted' WHEN mod(j, 3) = 1 THEN 'rejected'
                ELSE 'edited' END AS status,
           1 + mod(b.batch + j, b.choices - 1) AS pick,
           1 + mod(b.batch + j + 1, b.choices - 1) AS edit,
           now() - make_interval(days => (%(batches)s - b.batch) * 3, secs => %(per_customer)s - j)
               AS made
    FROM (
        SELECT (j - 1) / %(batch_size)s AS batch, mod(j - 1, cardinality(a.keys)) + 1 AS f,
               (a.keys)[mod(j - 1, cardinality(a.keys)) + 1] AS key,
               jsonb_array_length(a.samples -> (a.keys)[mod(j - 1, cardinality(a.keys)) + 1])
                   AS choices
    ) AS b
) AS x
WHERE c.tenant_id = %(tenant)s
"""

# What the workflow of each accepted proposal left behind (crm_artifacts.workflows).
FOLLOW_UPS_SQL = """
INSERT INTO crm_artifacts_followup
    (created_at, tenant_id, customer_id, rm_id, artifact_id, workflow, title, due_on, done)
SELECT a.decided_at, a.tenant_id, a.customer_id, a.rm_id, a.id, a.workflow_trigger,
       'Confirm with ' || (c.profile ->> 'fullName') || ': '
           || (a.payload ->> 'field_display_name') || ' is now “'
           || coalesce(a.payload ->> 'edited_value', a.payload ->> 'proposed_value') || '”',
       (a.decided_at + interval '7 days')::date,
       -- Every second one of a customer's follow-ups is done, the first open:
       -- by position, not by id, so every customer shows an open one.
       mod(row_number() OVER (PARTITION BY a.customer_id ORDER BY a.id), 2) = 0
FROM crm_artifacts_artifact AS a
JOIN crm_artifacts_customer AS c ON c.tenant_id = a.tenant_id AND c.id = a.customer_id
WHERE a.tenant_id = %(tenant)s AND a.workflow_trigger IS NOT NULL
"""
