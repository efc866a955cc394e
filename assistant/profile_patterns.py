"""The patterns the offline profile extraction reads meeting notes with.

Kept apart from the rules that use them (assistant/offline_profile.py) so the
one thing every pattern here must satisfy is in one place to check: it runs in
time linear in the notes (tests/fuzz/test_text_parsers_linear.py).
"""

from __future__ import annotations

import re

NUMBER_WORDS = {
    "no": 0,
    "zero": 0,
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twins": 2,
    "triplets": 3,
}
MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))

# Every pattern over the notes must run in time linear in them (issue 11: one
# 10 kB note of digits took 6 s). The rules that keep them so: a repeat starts
# only where the run it consumes starts (a lookbehind for the same class), so
# a failed match is not retried from every later character of the run; a
# repeat followed by something it cannot match is possessive (`++`, `*+`), so
# it does not give characters back one by one; two repeats over the same
# characters are never adjacent; and an open-ended scan is bounded.
EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]++@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
# At most 40 characters of digits and separators: "+44 (0) 20 7946 0958" is 20, and
# an unbounded run is retried from each space inside it.
PHONE = re.compile(r"(?<![\w@/.-])(\+?\(?\d[\d\s().-]{5,40}\d)(?![\w/-])")
PHONE_CUE = re.compile(r"\b(phone|mobile|cell|number|call|tel|telephone|landline|ring)\b", re.I)
ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
NUMERIC_DATE = re.compile(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4})\b")
DAY_MONTH_YEAR = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({MONTH_RE})\.?,?\s+(\d{{4}})\b", re.I
)
MONTH_DAY_YEAR = re.compile(
    rf"\b({MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I
)
BIRTH_CUE = re.compile(r"\b(born|birth|dob|d\.o\.b\.?|birthday)\b", re.I)

DEPENDENT_NOUNS = r"(?:children|child|kids|kid|dependents|dependants|sons|daughters|son|daughter)"
DEPENDENT_COUNT = re.compile(
    rf"\b(\d{{1,2}}|{'|'.join(NUMBER_WORDS)})\s+(?:(?:young|small|grown-up|adult|little)\s+)?{DEPENDENT_NOUNS}\b",
    re.I,
)
DEPENDENT_LABELLED = re.compile(
    r"\b(?:dependents|dependants)\s*(?::|=|is|are|of)\s*(\d{1,2})\b", re.I
)
NO_DEPENDENTS = re.compile(rf"\b(?:no|without|zero)\s+{DEPENDENT_NOUNS}\b|\bchildless\b", re.I)
TWINS = re.compile(r"\b(twins|triplets)\b", re.I)

AMOUNT = re.compile(
    r"(?:£|\$|€|\b(?:gbp|usd|eur)\s?)?(?<!\d)(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*"
    r"(k|m|million|thousand|grand)?\b",
    re.I,
)
CURRENCY = re.compile(r"[£$€]|\b(?:gbp|usd|eur|pounds|dollars|euros)\b", re.I)
INCOME_CUE = re.compile(
    r"\b(income|earns?|earning|salary|salaried|makes|paid|pay|per year|a year"
    r"|per annum|p\.a|annual|annually)\b",
    re.I,
)
RANGE = re.compile(
    r"(?:between\s++)?[£$€]?(?<!\d)(\d++(?:\.\d++)?)\s*+(k|m)?\s*+(?:-|\u2013|to|and)\s*+"
    r"[£$€]?(\d++(?:\.\d++)?)\s*+(k|m)\b",
    re.I,
)

# (choice keyword, patterns, confidence): earlier rows win, so "divorced from her
# husband" is divorced, not married.
MARITAL_RULES: list[tuple[str, str, str]] = [
    ("civil", r"\bcivil partner(?:ship)?\b", "high"),
    ("divorced", r"\b(?:divorced|divorce (?:is |was )?(?:final|through|settled))\b", "high"),
    ("separated", r"\bseparated\b", "high"),
    ("widowed", r"\b(?:widowed|widow|widower|lost (?:her|his) (?:husband|wife|spouse))\b", "high"),
    ("single", r"\b(?:single|not married|unmarried|never married)\b", "high"),
    ("married", r"\b(?:married|newlywed|wedded)\b", "high"),
    ("married", r"\b(?:his wife|her husband|her wife|his husband|spouse)\b", "medium"),
]
MARITAL_FUTURE = re.compile(
    r"\b(engaged|getting married|will marry|plans? to marry|wedding (?:is )?(?:next|in|planned))\b",
    re.I,
)
RISK_RULES: list[tuple[str, str]] = [
    (
        "conservative",
        r"\b(?:conservative|cautious|risk[- ]averse|low[- ]risk|averse to risk"
        r"|safe investments?)\b",
    ),
    ("moderate", r"\b(?:moderate|balanced|medium[- ]risk|middle of the road)\b"),
    ("aggressive", r"\b(?:aggressive|adventurous|high[- ]risk|speculative|growth[- ]oriented)\b"),
]
RISK_CUE = re.compile(r"\b(risk|invest\w*|portfolio|appetite|tolerance|attitude)\b", re.I)
CONTACT_CUE = re.compile(
    r"\b(prefers?|preferred|preference|rather|best (?:way|reached|contacted)"
    r"|contact (?:him|her|them) (?:by|via))\b",
    re.I,
)
CONTACT_RULES: list[tuple[str, str]] = [
    ("email", r"\b(?:e-?mail)\b"),
    ("text", r"\b(?:text(?: message)?s?|sms|whatsapp)\b"),
    ("phone", r"\b(?:phone|call(?:ed|s)?|ring|telephone)\b"),
    ("post", r"\b(?:post|letters?|by mail)\b"),
    ("in-person", r"\b(?:in person|face[- ]to[- ]face|meet(?:ing)? in person)\b"),
]

ORG = r"([A-Z][\w&'\u2019.-]*(?:\s+(?:[A-Z][\w&'\u2019.-]*|&|of|and|de|la)){0,5})"
EMPLOYER_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"\b(?:works|working|worked|employed|now)\s+(?:at|for|by|with)\s+{ORG}"), "high"),
    (re.compile(rf"\b(?:joined|joining|switched to|started at|starts at)\s+{ORG}"), "medium"),
    (
        re.compile(rf"\b(?:new job|new role|new position|job|position|role)\s+(?:at|with)\s+{ORG}"),
        "high",
    ),
    (re.compile(rf"\bemployer\s*(?:is|:)\s*{ORG}"), "high"),
    (
        re.compile(
            rf"\b(?:works|working|worked|employed)\s+as\s+(?:an?\s+|the\s+)?[a-z][a-z -]{{2,40}}?"
            rf"\s++(?:at|for|with)\s+{ORG}"
        ),
        "high",
    ),
    (
        re.compile(
            rf"\b(?:is|as)\s+(?:an?|the)\s+[a-z][a-z -]{{2,40}}?\s++(?:at|for|with)\s+{ORG}"
        ),
        "medium",
    ),
]
ROLE = r"([a-z][a-z'-]*(?:\s+[a-z][a-z'-]*){0,4}?)"
ROLE_END = r"(?=\s+(?:at|for|with|in|since|and|but|who|from)\b|\s*[.,;:!?)]|\s*$)"
OCCUPATION_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            rf"\b(?:works|working|worked|employed|started|starts)\s+as\s+(?:an?\s+|the\s+)?{ROLE}{ROLE_END}",
            re.I,
        ),
        "high",
    ),
    (
        re.compile(
            rf"\b(?:occupation|job title|profession)\s*(?:is|:)\s*(?:an?\s+)?{ROLE}{ROLE_END}", re.I
        ),
        "high",
    ),
    (re.compile(rf"\bpromoted to\s+(?:an?\s+|the\s+)?{ROLE}{ROLE_END}", re.I), "high"),
    (
        re.compile(
            rf"\b(?:new job|new role|new position)\s+as\s+(?:an?\s+|the\s+)?{ROLE}{ROLE_END}", re.I
        ),
        "high",
    ),
    (
        re.compile(
            rf"\b(?:joined|joining|hired by|started at)\b[^.;]{{0,200}}?"
            rf"\bas\s+(?:an?\s+|the\s+)?{ROLE}{ROLE_END}",
            re.I,
        ),
        "medium",
    ),
    (
        re.compile(rf"\b(?:is|became|is now)\s+(?:an?|the)\s+{ROLE}(?=\s+(?:at|for|with)\s+[A-Z])"),
        "medium",
    ),
]
RETIRED = re.compile(
    r"\b(?:has retired|is retired|retired (?:last|this|in|from)|now retired)\b", re.I
)
NAME = r"([A-Z][a-z'\u2019-]+(?:\s+[A-Z][a-z'\u2019-]+){1,3})"
NAME_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"\b(?:full|legal) name\s*(?:is|:)\s*{NAME}"), "high"),
    (re.compile(rf"\bchanged (?:her|his|their) name to\s+{NAME}"), "high"),
    (re.compile(rf"\b(?:is now called|now goes by|now known as)\s+{NAME}"), "medium"),
]
ADDRESS = (
    r"((?:flat|apartment|apt|unit)?\s*\d++[a-zA-Z]?[,]?\s+[A-Z][^.;\n]{3,160}?)(?=\.\s|\.$|;|\n|$)"
)
ADDRESS_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # The cue's trailing space is possessive: ADDRESS opens with `\s*` too.
    (re.compile(rf"\b(?:new address|address)\s*+(?:is|:)\s*+{ADDRESS}", re.I), "high"),
    (
        re.compile(rf"\b(?:moved to|moving to|lives at|living at|relocated to)\s++{ADDRESS}", re.I),
        "medium",
    ),
]

NUDGE_CUES: list[tuple[re.Pattern[str], str]] = [
    (MARITAL_FUTURE, "A wedding is planned: update the marital status once it has happened."),
    (
        re.compile(r"\b(expecting|pregnant|baby on the way|due in)\b", re.I),
        "A baby is on the way: update the number of dependents after the birth.",
    ),
    (
        re.compile(r"\b(moved|moving|relocat\w+)\s+to\s+(?!\d)[A-Z]\w+", re.I),
        "A move is mentioned without a full address: ask for the new address.",
    ),
    (
        re.compile(
            r"\b(bonus|inheritance|inherited|windfall|sold (?:the|their|his|her) business)\b", re.I
        ),
        "A windfall was mentioned: does the income band or risk tolerance need a review?",
    ),
    (
        re.compile(r"\b(retire|retiring|retirement)\b", re.I),
        "Retirement came up: ask when, and whether the risk tolerance should change.",
    ),
    (
        re.compile(r"\b(redundan\w+|laid off|lost (?:his|her|their) job|between jobs)\b", re.I),
        "A job loss was mentioned: check the occupation, employer and income band.",
    ),
]
