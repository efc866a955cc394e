"""Every write and rule of the CRM proposals.

Split by concern; import from here: `from crm_artifacts import services`.
Deciding is `proposal_decide` / `proposal_decide_batch` (services/decisions.py),
creating `artifact_create_batch`. The source repository's reads live in
crm_artifacts.selectors and are re-exported here under the source's names.
"""

from __future__ import annotations

from crm_artifacts.services.access import parse_id
from crm_artifacts.services.agents import (
    agent_customer,
    agent_proposals,
    agent_propose,
    proposal_respond,
)
from crm_artifacts.services.api_tokens import (
    api_token_create,
    api_token_revoke,
    api_tokens_of_tenant,
)
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
    REJECTION_REASONS,
    STATUS_DECISIONS,
    UNSET,
    BatchOutcome,
    Decision,
    UndoOutcome,
    artifact_accept,
    artifact_accept_with_edits,
    artifact_reject,
    artifact_update_status,
    batch_accept,
    batch_reject,
    proposal_decide,
    proposal_decide_batch,
    proposal_undo_batch,
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
    FollowUpOutcome,
    follow_up_close,
    follow_up_complete,
    follow_up_ensure,
    follow_up_record,
    follow_ups_missing,
    follow_ups_planned,
    follow_ups_record,
)

__all__ = [
    "MAX_BATCH_SIZE",
    "NOTES_MAX_LENGTH",
    "REJECTION_REASONS",
    "STATUS_DECISIONS",
    "UNSET",
    "AlreadyDecided",
    "BatchOutcome",
    "Conflict",
    "CrmError",
    "Decision",
    "FollowUpOutcome",
    "NotFound",
    "NotesOutcome",
    "ProfileEditInput",
    "StaleBatch",
    "StaleProposal",
    "StaleValues",
    "UndoOutcome",
    "agent_customer",
    "agent_proposals",
    "agent_propose",
    "api_token_create",
    "api_token_revoke",
    "api_tokens_of_tenant",
    "artifact_accept",
    "artifact_accept_with_edits",
    "artifact_create",
    "artifact_create_batch",
    "artifact_reject",
    "artifact_update_status",
    "batch_accept",
    "batch_reject",
    "customer_create",
    "customer_set_profile_values",
    "customer_update",
    "follow_up_close",
    "follow_up_complete",
    "follow_up_ensure",
    "follow_up_record",
    "follow_ups_missing",
    "follow_ups_planned",
    "follow_ups_record",
    "new_batch_id",
    "notes_propose",
    "parse_id",
    "proposal_decide",
    "proposal_decide_batch",
    "proposal_respond",
    "proposal_undo_batch",
    "stale_values",
]

# The source repository's reads, under the names it gave them: they live in
# crm_artifacts.selectors (which imports this package's rules), so they are
# looked up when first asked for rather than imported here in a cycle.
_READS = (
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "MAX_OFFSET",
    "artifact_get",
    "artifact_list",
    "artifact_list_by_batch",
    "artifact_list_by_customer",
    "artifact_list_pending_by_customer",
    "get_artifact",
    "get_customer",
)
__all__ += list(_READS)


def __getattr__(name: str) -> object:
    if name in _READS:
        from crm_artifacts import selectors

        return getattr(selectors, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
