"""What the CRM services refuse, and the messages people see.

The refusals are the project's (config/errors.py): bad input is a
`ValidationError` (HTTP 400), a foreign tenant's or unknown object `NotFound`
(404), someone who is not the customer's RM `NotAllowed` (403, a Django
`PermissionDenied`), and a proposal that can no longer be decided as asked a
`Conflict` (409): already decided, stale, or changed since (a revert).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from config.errors import AlreadyDecided as _AlreadyDecided

# Re-exported: the CRM code and its tests import the refusals from here.
from config.errors import Conflict, DomainError, NotAllowed, NotFound, Stale  # noqa: F401
from crm_artifacts.models import ProfileEditStatus, Proposal

CUSTOMER_NOT_FOUND = "Customer not found"
ARTIFACT_NOT_FOUND = "Artifact not found"
BATCH_NOT_FOUND = "Batch not found"
NOT_ATTACHED_RM = "Only the customer's relationship manager can see and decide its proposals."
RM_OTHER_TENANT = "The relationship manager must belong to the customer's organisation."
FOLLOW_UP_NOT_FOUND = "Follow-up not found"
FOLLOW_UP_CLOSED = "This follow-up was already {state}; nothing changed."
FOLLOW_UP_NOT_YOURS = "Only the follow-up's RM or a tenant admin can mark it done."
NO_CUSTOMER = "This proposal's customer no longer exists, so it cannot be decided."

ALREADY_DECIDED = "This proposal was already {status}; a decision is final."
STALE = (
    "{field} changed since this proposal was made: the profile now says “{current}”, "
    "the proposal expected “{previous}”."
)
NOT_REVERTIBLE = "Only an accepted or edited proposal can be reverted; this one is {status}."
ALREADY_REVERTED = "This proposal was already reverted; the profile has its previous value."
REVERT_CHANGED_SINCE = (
    "{field} changed since this proposal was accepted: the profile now says “{current}”, "
    "not “{written}”, so reverting would overwrite that later change. Nothing was changed."
)
INVALID_REASON = "A rejection reason must be text."
REASON_ONLY_WHEN_REJECTING = "A reason only goes with a rejection."
REASON_TOO_LONG = "A rejection reason has at most {max_length} characters."
STALE_BATCH = "{count} of these proposals are out of date: the profile changed since."
INVALID_DECISION = "Invalid status. Must be one of: " + ", ".join(ProfileEditStatus.DECISIONS)
INVALID_STATUS_FILTER = "Invalid status. Must be one of: " + ", ".join(ProfileEditStatus.ALL)
EDITED_VALUE_REQUIRED = "Give the value to accept instead of the proposed one."
EDITED_VALUE_ONLY_WHEN_EDITING = "An edited value only goes with the status “edited”."
NOTHING_TO_UNDO = "Nothing to undo: no proposal was given."
UNDO_NOT_THIS_DECISION = (
    "Only the proposals of this batch that you accepted can be undone here; nothing was changed."
)

UNKNOWN_ARTIFACT_TYPE = "Unknown artifact type."
UNKNOWN_CREATOR_TYPE = "The creator type must be one of: agent, admin, system."
CREATOR_ID_TOO_LONG = "The creator id has at most 100 characters."
INVALID_CONFIDENCE = "Confidence must be high, medium or low."
SOURCE_TEXT_NOT_TEXT = "The source text must be text."
SOURCE_TEXT_TOO_LONG = "The source text has at most {max_length} characters."
SAME_AS_PROFILE = "{field} already has this value."
DUPLICATE_FIELD = "{field} is proposed twice in one batch."
EMPTY_BATCH = "A batch needs at least one proposal."
BATCH_TOO_LARGE = "A batch holds at most {max_size} proposals."
INVALID_BATCH_ID = "A batch id is 1 to 64 letters, digits, dashes or underscores."
BATCH_OF_ANOTHER_CUSTOMER = "That batch belongs to another customer."
UNKNOWN_WORKFLOW = "Unknown workflow “{name}”. Known workflows: {known}."

NOTES_REQUIRED = "Paste or type the meeting notes."
NOTES_TOO_LONG = "Meeting notes have at most {max_length} characters."
NO_CHANGES_FOUND = "The assistant found no profile changes in these notes."

INVALID_LIMIT = "limit must be a whole number from 1 to {max_limit}."
INVALID_OFFSET = "offset must be a whole number from 0 to {max_offset}."
INVALID_ORDER = "order must be asc or desc."


CrmError = DomainError  # the name the CRM code used before the shared hierarchy


class AlreadyDecided(_AlreadyDecided):
    """Someone decided first: carries the proposal as decided, for the loser to see."""

    def __init__(self, artifact: Proposal, message: str = ALREADY_DECIDED) -> None:
        super().__init__(message.format(status=artifact.status))
        self.artifact = artifact
        self.decided_status = artifact.status

    def json_details(self) -> dict[str, Any]:
        from crm_artifacts.api import artifact_json

        return {"artifact": artifact_json(self.artifact)}


@dataclass(frozen=True)
class StaleValues:
    """Both sides of a stale proposal, for the page to show."""

    artifact_id: int
    field_label: str
    current: Any
    current_display: str
    previous: Any
    previous_display: str
    proposed_display: str


class StaleProposal(Stale):
    def __init__(self, stale: StaleValues) -> None:
        super().__init__(
            STALE.format(
                field=stale.field_label,
                current=stale.current_display or "(empty)",
                previous=stale.previous_display or "(empty)",
            )
        )
        self.stale = stale

    def json_details(self) -> dict[str, Any]:
        from crm_artifacts.api import stale_json

        return {"stale": stale_json(self.stale)}


class StaleBatch(Stale):
    def __init__(self, stale: list[StaleValues]) -> None:
        super().__init__(STALE_BATCH.format(count=len(stale)))
        self.stale = stale
