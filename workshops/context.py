"""The three-tier context the assistant receives in a workshop step.

- persistent: the artifacts of the earlier steps of the same workshop, formatted;
- long-term: the summaries of those earlier steps;
- short-term: this step's messages, as role/content.

`build_step_context(step, budget_tokens)` fits a token budget by dropping the
oldest messages first (the newest one, which is being answered, stays), then
trimming summaries, oldest step first. Artifacts are never dropped: if they
alone exceed the budget the context says so (`over_budget`) instead of
silently losing a step's outcome. Everything cut is listed in `cuts`.

Only earlier steps of the same workshop are read, filtered by workshop and
tenant in the query (and fenced by row-level security behind it), so another
workshop's or tenant's data cannot reach the prompt. Three queries in all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from assistant import Message
from assistant.tokens import count_tokens, truncate_to_tokens
from workshops.models import ChatMessage, StepArtifact, StepSummary, WorkshopStep
from workshops.schemas import format_artifact

Tier = Literal["persistent", "long-term", "short-term"]
PERSISTENT: Tier = "persistent"
LONG_TERM: Tier = "long-term"
SHORT_TERM: Tier = "short-term"
TIERS: tuple[Tier, ...] = (PERSISTENT, LONG_TERM, SHORT_TERM)

# What a reply is built with; the preview shows the same unless told otherwise.
REPLY_BUDGET_TOKENS = 6000
# A summary trimmed below this is no use to anyone: drop it instead.
MIN_SUMMARY_TOKENS = 12

PERSISTENT_HEADING = "Outcomes of earlier steps (persistent):"
LONG_TERM_HEADING = "Summaries of earlier steps (long-term):"


@dataclass(frozen=True)
class ContextPart:
    tier: Tier
    step_id: str
    label: str
    text: str
    role: str = ""

    @property
    def tokens(self) -> int:
        return count_tokens(self.text)


@dataclass(frozen=True)
class StepContext:
    """The source's StepContext (persistent context, summaries, messages) plus its parts.

    `context_text` is exactly the `context` string handed to
    `assistant.reply(messages, context)`, with `messages` alongside.
    """

    step_line: str
    persistent_context: str
    summaries: str
    messages: list[Message]
    parts: list[ContextPart]
    budget_tokens: int | None = None
    cuts: list[str] = field(default_factory=list)
    over_budget: bool = False

    @property
    def context_text(self) -> str:
        return _context_text(self.step_line, self.persistent_context, self.summaries)

    @property
    def total_tokens(self) -> int:
        return count_tokens(self.context_text) + sum(
            count_tokens(m["content"]) for m in self.messages
        )

    def parts_of(self, tier: Tier) -> list[ContextPart]:
        return [p for p in self.parts if p.tier == tier]

    def tier_tokens(self, tier: Tier) -> int:
        return sum(p.tokens for p in self.parts_of(tier))


def _context_text(step_line: str, persistent: str, summaries: str) -> str:
    sections = [step_line]
    if persistent:
        sections.append(f"{PERSISTENT_HEADING}\n{persistent}")
    if summaries:
        sections.append(f"{LONG_TERM_HEADING}\n{summaries}")
    return "\n\n".join(sections)


def _earlier(model, step: WorkshopStep):
    return (
        model.objects.filter(
            tenant_id=step.tenant_id,
            workshop_step__workshop_id=step.workshop_id,
            workshop_step__step_definition__order__lt=step.step_definition.order,
        )
        .select_related("workshop_step__step_definition")
        .order_by("workshop_step__step_definition__order")
    )


def _load_parts(
    step: WorkshopStep,
) -> tuple[list[ContextPart], list[ContextPart], list[ContextPart]]:
    artifacts = [
        ContextPart(
            PERSISTENT,
            a.step_id,
            f"{a.workshop_step.step_definition.name} artifact",
            format_artifact(
                name=a.workshop_step.step_definition.name,
                artifact=a.artifact,
                schema=a.workshop_step.step_definition.schema,
            ),
        )
        for a in _earlier(StepArtifact, step)
    ]
    summaries = [
        ContextPart(
            LONG_TERM,
            s.step_id,
            f"{s.workshop_step.step_definition.name} summary",
            f"## {s.workshop_step.step_definition.name}\n{s.summary}",
        )
        for s in _earlier(StepSummary, step)
    ]
    messages = [
        ContextPart(SHORT_TERM, step.step_id, f"{role} message", content, role=role)
        for role, content in ChatMessage.objects.filter(
            tenant_id=step.tenant_id, workshop_step=step
        )
        .order_by("created_at", "id")
        .values_list("role", "content")
    ]
    return artifacts, summaries, messages


def _assemble(
    step_line: str,
    artifacts: list[ContextPart],
    summaries: list[ContextPart],
    messages: list[ContextPart],
    **extra,
) -> StepContext:
    return StepContext(
        step_line=step_line,
        persistent_context="\n\n".join(p.text for p in artifacts),
        summaries="\n\n".join(p.text for p in summaries),
        messages=[{"role": p.role, "content": p.text} for p in messages],  # type: ignore[misc]
        parts=[*artifacts, *summaries, *messages],
        **extra,
    )


def build_step_context(step: WorkshopStep, budget_tokens: int | None = None) -> StepContext:
    """The context for `step` (with `workshop` and `step_definition` loaded), fitted to a budget."""
    definition = step.step_definition
    step_line = (
        f"Workshop “{step.workshop.title}”, step {definition.order}: "
        f"{definition.name}. {definition.description}"
    )
    artifacts, summaries, messages = _load_parts(step)
    if budget_tokens is None:
        return _assemble(step_line, artifacts, summaries, messages)

    cuts: list[str] = []

    def total() -> int:
        text = _context_text(
            step_line,
            "\n\n".join(p.text for p in artifacts),
            "\n\n".join(p.text for p in summaries),
        )
        return count_tokens(text) + sum(p.tokens for p in messages)

    # 1. The oldest messages go first; the newest is what the assistant answers.
    running = total()
    dropped = 0
    while running > budget_tokens and len(messages) > 1:
        running -= messages.pop(0).tokens
        dropped += 1
    if dropped:
        cuts.append(f"Dropped the {dropped} oldest message{'s' if dropped != 1 else ''}.")

    # 2. Then summaries, oldest step first: trimmed, or dropped if little would remain.
    before = {p.label: p.tokens for p in summaries}
    while (over := total() - budget_tokens) > 0 and summaries:
        oldest = summaries[0]
        keep = oldest.tokens - over
        if keep >= MIN_SUMMARY_TOKENS:
            trimmed = truncate_to_tokens(oldest.text, keep)
            summaries[0] = ContextPart(oldest.tier, oldest.step_id, oldest.label, trimmed)
            if summaries[0].tokens < oldest.tokens:
                continue  # re-measure: rounding can leave it a token over
        summaries.pop(0)
    after = {p.label: p.tokens for p in summaries}
    for label, tokens in before.items():
        if label not in after:
            cuts.append(f"Dropped the {label} ({tokens} tokens).")
        elif after[label] < tokens:
            cuts.append(f"Trimmed the {label} from {tokens} to {after[label]} tokens.")

    # 3. Artifacts stay, whatever the budget: say so rather than cut one.
    over_budget = total() > budget_tokens
    if over_budget:
        cuts.append(
            f"Still {total() - budget_tokens} tokens over the budget of {budget_tokens}: "
            "earlier steps' artifacts (and the newest message) are never dropped."
        )
    return _assemble(
        step_line,
        artifacts,
        summaries,
        messages,
        budget_tokens=budget_tokens,
        cuts=cuts,
        over_budget=over_budget,
    )
