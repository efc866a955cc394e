"""Every write and rule of the CRM proposals.

Split by concern; import from here: `from crm_artifacts import services`.
Deciding is `proposal_decide` / `proposal_decide_batch` (services/decisions.py),
creating `artifact_create_batch`. The source repository's reads live in
crm_artifacts.selectors and are re-exported here under the source's names.
"""

from __future__ import annotations

from crm_artifacts.selectors import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_OFFSET,
    artifact_get,
    artifact_list,
    artifact_list_by_batch,
    artifact_list_by_customer,
    artifact_list_pending_by_customer,
    get_artifact,
    get_customer,
)
from crm_artifacts.services.access import parse_id
from crm_artifacts.services.artifacts import (
    MAX_BATCH_SIZE,
    ProfileEditInput,
    artifact_create,
    artifact_create_batch,
    new_batch_id,
)
from crm_artifacts.services.customers import (
    NOTES_MAX_LENGTH,
    NotesOutcome,
    customer_create,
    customer_set_profile_values,
    customer_update,
    notes_propose,
)
from crm_artifacts.services.decisions import (
    STATUS_DECISIONS,
    UNSET,
    BatchOutcome,
    Decision,
    artifact_accept,
    artifact_accept_with_edits,
    artifact_reject,
    artifact_update_status,
    batch_accept,
    batch_reject,
    proposal_decide,
    proposal_decide_batch,
    stale_values,
)
from crm_artifacts.services.errors import *  # noqa: F403 (the messages tests import)
from crm_artifacts.services.errors import (
    AlreadyDecided,
    Conflict,
    CrmError,
    NotFound,
    StaleBatch,
    StaleProposal,
    StaleValues,
)
from crm_artifacts.services.follow_ups import (
    follow_up_complete,
    follow_up_ensure,
    follow_up_record,
    follow_ups_missing,
    follow_ups_record,
)

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_BATCH_SIZE",
    "MAX_LIMIT",
    "MAX_OFFSET",
    "NOTES_MAX_LENGTH",
    "STATUS_DECISIONS",
    "UNSET",
    "AlreadyDecided",
    "BatchOutcome",
    "Conflict",
    "CrmError",
    "Decision",
    "NotFound",
    "NotesOutcome",
    "ProfileEditInput",
    "StaleBatch",
    "StaleProposal",
    "StaleValues",
    "artifact_accept",
    "artifact_accept_with_edits",
    "artifact_create",
    "artifact_create_batch",
    "artifact_get",
    "artifact_list",
    "artifact_list_by_batch",
    "artifact_list_by_customer",
    "artifact_list_pending_by_customer",
    "artifact_reject",
    "artifact_update_status",
    "batch_accept",
    "batch_reject",
    "customer_create",
    "customer_set_profile_values",
    "customer_update",
    "follow_up_complete",
    "follow_up_ensure",
    "follow_up_record",
    "follow_ups_missing",
    "follow_ups_record",
    "get_artifact",
    "get_customer",
    "new_batch_id",
    "notes_propose",
    "parse_id",
    "proposal_decide",
    "proposal_decide_batch",
    "stale_values",
]
