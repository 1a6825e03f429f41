"""The permission matrix (issue 8): every URL name in the project, what each role gets when it asks for it, for each
kind of object it is asked about. DESIGN.md, "Who uses it" and "Information sharing and access", is the source.

Reading a row: `Row(args, ok)` says which arguments the URL is built with and who gets a page ("ok": 2xx, or a
redirect that is not to a sign-in page). Everyone else signed in is refused (403 or 404), unless the row says
otherwise with `others`. Someone signed out is sent to sign in (pages) or refused (the API answers for itself),
except on the public pages. `method=True`: the URL only takes a POST, so a GET is answered 405 ("method") once
signed in: who may POST is tested where each step is.

Arguments: a name in PLACEHOLDERS is the public id of that kind of record (in the path, or in the query string with
`query`), taken from the world of tests/security/conftest.py for each object kind the row is asked about (KINDS: the
kinds of the last record the URL names); anything else is literal. `ok` is either one set of roles (the same for
every object kind) or a dict from object kind to the set of roles. The object kinds, for each role: "team" is the
team's shared, unrestricted work (whichever agency recorded it); "police" is restricted to the police, so the
detective sergeant's and the police practitioner's own agency's and another agency's for everyone else; "allocated"
is restricted to the police too but allocated to the health practitioner and held by the case holder; "other_team"
is another team's. Referrals add the front door's stages ("draft", "submitted", "triage", "mash").

`special` gives a role an outcome of its own (the administrator refused an admin page the admin site never offers).
`wrong` lists the cells where the app does not do today what DESIGN.md says it should, keyed by role (every object
kind) or "role@kind": the row holds the right expectation, and the test marks those cells xfail(strict=True) with
the reason, so they are fixed, not forgotten; once fixed, the strict xfail fails until the entry is removed.

Rules decided here where DESIGN.md is not explicit (the lead's brief asked for a decision):
- The governance group sees figures only: every casework page and API is refused to them (403), lists and personal
  to-do lists included, not answered empty. Theirs: home, their account, notifications, the reports, the API's
  description and the screening catalogue (reference data, no child in it).
- An area that is the team's alone (meetings, mapping and pursuit, the daily review) is refused to anyone outside a
  team, page and API alike.
- Anyone else's lists answer with what they may see, empty or not: a referrer, a case holder or an administrator may
  be granted a child (administration gives no sight by itself, but an administrator may hold another role). Personal
  to-do lists (checks asked of me, my actions, escalations to me) answer everyone but governance with their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

OK, REFUSED, LOGIN, METHOD = "ok", "refused", "login", "method"

# The roles, one user each (tests/security/conftest.py), and the visitor who has not signed in.
TEAM_MANAGER = "team_manager"
DETECTIVE_SERGEANT = "detective_sergeant"
POLICE_PRACTITIONER = "police_practitioner"
SOCIAL_CARE_PRACTITIONER = "social_care_practitioner"
HEALTH_PRACTITIONER = "health_practitioner"
OTHER_TEAM_MEMBER = "other_team_member"
SPOC = "spoc"
TRIAGE_WORKER = "triage_worker"
TRIAGE_MANAGER = "triage_manager"
MASH_WORKER = "mash_worker"
CASE_HOLDER = "case_holder"
REFERRER = "referrer"
HEAD_OF_SERVICE = "head_of_service"
SERVICE_MANAGER = "service_manager"  # of the police: the detective inspector
GOVERNANCE = "governance"
ADMINISTRATOR = "administrator"
SIGNED_OUT = "signed_out"

ROLES = (
    TEAM_MANAGER,
    DETECTIVE_SERGEANT,
    POLICE_PRACTITIONER,
    SOCIAL_CARE_PRACTITIONER,
    HEALTH_PRACTITIONER,
    OTHER_TEAM_MEMBER,
    SPOC,
    TRIAGE_WORKER,
    TRIAGE_MANAGER,
    MASH_WORKER,
    CASE_HOLDER,
    REFERRER,
    HEAD_OF_SERVICE,
    SERVICE_MANAGER,
    GOVERNANCE,
    ADMINISTRATOR,
    SIGNED_OUT,
)
Roles = frozenset[str]

NOBODY: Roles = frozenset()
SIGNED_IN: Roles = frozenset(ROLES) - {SIGNED_OUT}
EVERYONE: Roles = frozenset(ROLES)
ADMIN: Roles = frozenset({ADMINISTRATOR})
DECIDERS: Roles = frozenset({TEAM_MANAGER, DETECTIVE_SERGEANT})  # the team's managers, who chair in turn
POLICE_IN_TEAM: Roles = frozenset({DETECTIVE_SERGEANT, POLICE_PRACTITIONER})
TEAM: Roles = DECIDERS | POLICE_IN_TEAM | {SOCIAL_CARE_PRACTITIONER, HEALTH_PRACTITIONER}
TEAM_MEMBERS: Roles = TEAM | {OTHER_TEAM_MEMBER}  # members of a team, this one or another
FRONT_DOOR: Roles = frozenset({SPOC, TRIAGE_WORKER, TRIAGE_MANAGER, MASH_WORKER})
OVERSIGHT: Roles = frozenset({HEAD_OF_SERVICE, SERVICE_MANAGER, GOVERNANCE})  # the monthly reports, no team
MANAGERS: Roles = DECIDERS | {HEAD_OF_SERVICE, SERVICE_MANAGER}
CHILD_RECORDERS: Roles = TEAM_MEMBERS | FRONT_DOOR | {CASE_HOLDER}
NOT_GOVERNANCE: Roles = SIGNED_IN - {GOVERNANCE}
# A to-do list of one's own (checks asked of me, my actions, escalations to me): empty for most, refused only to the
# governance group, who never have casework.
WORKLIST: Roles = NOT_GOVERNANCE

# The object kinds each kind of record is asked about (the world holds one of each).
CHILD_KINDS = ("team", "police", "allocated", "other_team")
TEAM_KINDS = ("team", "police", "other_team")  # the team's intelligence: one restricted to the police
TEAM_LEVEL = ("team", "other_team")  # a meeting, a report, a sample: no child's restriction applies
REFERRAL_KINDS = (*CHILD_KINDS, "draft", "submitted", "triage", "mash")
KINDS: dict[str, tuple[str, ...]] = {
    "child": CHILD_KINDS,
    "case": CHILD_KINDS,
    "allocation": CHILD_KINDS,
    "note": CHILD_KINDS,
    "decision": CHILD_KINDS,
    "assessment": CHILD_KINDS,
    "episode": CHILD_KINDS,
    "audit": CHILD_KINDS,
    "export": CHILD_KINDS,
    "review": CHILD_KINDS,
    "hold": CHILD_KINDS,
    "opening": ("police",),
    "item": CHILD_KINDS,
    "record": TEAM_KINDS,
    "place": TEAM_KINDS,
    "link": TEAM_KINDS,
    "investigation": TEAM_KINDS,
    "prosecution": TEAM_KINDS,
    "disruption": TEAM_KINDS,
    "meeting": TEAM_LEVEL,
    "report": TEAM_LEVEL,
    "sample": TEAM_LEVEL,
    "action": TEAM_LEVEL,
    "waiting": TEAM_LEVEL,
    "check": ("team",),
    "escalation": ("team",),
    "referral": REFERRAL_KINDS,
    "attachment": REFERRAL_KINDS,
}
# The models on the admin site (Django's admin is for the administrator: users, agencies, teams, API tokens, the
# screening catalogue). Each has a list, an add page, and a change, history and delete page for one row.
ADMIN_MODELS = (
    "auth_group",
    "authtoken_tokenproxy",
    "axes_accessattempt",
    "axes_accesslog",
    "axes_accessfailurelog",
    "otp_totp_totpdevice",
    "otp_static_staticdevice",
    "accounts_agency",
    "accounts_team",
    "accounts_user",
    "risk_catalogueversion",
    "risk_indicatorcategory",
    "risk_indicator",
)
KINDS.update(dict.fromkeys((*ADMIN_MODELS, "content_type", "admin_user"), ("admin",)))
PLACEHOLDERS = frozenset(KINDS)

# Who sees what, per object kind -------------------------------------------------------------------------------------

# A child's record: the team (less a record restricted to another agency), the front door (every unrestricted
# record: ADR 0006), and whoever is granted it (allocation, holding the case).
CHILD: dict[str, Roles] = {
    "team": TEAM | FRONT_DOOR,
    "police": POLICE_IN_TEAM,
    "allocated": POLICE_IN_TEAM | {HEALTH_PRACTITIONER, CASE_HOLDER},
    "other_team": frozenset({OTHER_TEAM_MEMBER}) | FRONT_DOOR,
}
# The team's work about a child (a case, an assessment, a missing episode, their part of a meeting): the same,
# without the front door.
CASEWORK: dict[str, Roles] = {
    "team": TEAM,
    "police": POLICE_IN_TEAM,
    "allocated": POLICE_IN_TEAM | {HEALTH_PRACTITIONER, CASE_HOLDER},
    "other_team": frozenset({OTHER_TEAM_MEMBER}),
}
# The team's intelligence (people of concern, links, pursuit): the team's members only, less what is restricted to
# another agency.
INTELLIGENCE: dict[str, Roles] = {
    "team": TEAM,
    "police": POLICE_IN_TEAM,
    "other_team": frozenset({OTHER_TEAM_MEMBER}),
}
# Something of the team as a whole (a meeting, its minutes, a sample).
WHOLE_TEAM: dict[str, Roles] = {"team": TEAM, "other_team": frozenset({OTHER_TEAM_MEMBER})}
# A referral: its referrer; the front door once sent; the team once co-allocated to it; the Head of Service when the
# child's consent was dispensed with (the "mash" one); a child's restriction follows into the referral.
REFERRAL: dict[str, Roles] = {
    "team": TEAM | FRONT_DOOR | {REFERRER},
    "police": POLICE_IN_TEAM | {REFERRER},
    "allocated": POLICE_IN_TEAM | {REFERRER},
    "other_team": FRONT_DOOR | {OTHER_TEAM_MEMBER, REFERRER},
    "draft": frozenset({REFERRER}),
    "submitted": FRONT_DOOR | {REFERRER},
    "triage": FRONT_DOOR | {REFERRER},
    "mash": FRONT_DOOR | {REFERRER, HEAD_OF_SERVICE},
}
# A case note restricted to an agency (each kind's note is): that agency's members who see the case, and whoever it
# was shared with. The team's is a health clinical note; the police and allocated children's are police notes.
NOTE: dict[str, Roles] = {
    "team": frozenset({HEALTH_PRACTITIONER}),
    "police": POLICE_IN_TEAM,
    "allocated": POLICE_IN_TEAM,
    "other_team": frozenset({OTHER_TEAM_MEMBER}),
}
# The monthly report: the team's own managers, and the area's oversight (without a team: every team's).
REPORT: dict[str, Roles] = {"team": DECIDERS | OVERSIGHT, "other_team": OVERSIGHT}


def only(sight: Mapping[str, Roles], roles: Roles) -> dict[str, Roles]:
    """Of those who see each kind, the ones with these roles."""
    return {kind: frozenset(seen & roles) for kind, seen in sight.items()}


def plus(sight: Mapping[str, Roles], **more: Roles) -> dict[str, Roles]:
    return {kind: frozenset(seen | more.get(kind, NOBODY)) for kind, seen in sight.items()}


@dataclass(frozen=True)
class Row:
    args: tuple[str | int, ...] | Mapping[str, tuple[str | int, ...]] = ()
    ok: Roles | Mapping[str, Roles] = NOBODY
    query: Mapping[str, str] = field(default_factory=dict)  # query parameter -> placeholder
    method: bool = False  # POST only
    public: bool = False  # reachable before signing in
    others: str = REFUSED  # what the signed-in roles not in `ok` get
    special: Mapping[str, str] = field(default_factory=dict)  # role -> an outcome other than the above
    wrong: Mapping[str, str] = field(default_factory=dict)  # "role" or "role@kind" -> why the app is wrong there today


def post_only(*args: str | int) -> Row:
    return Row(args=args, method=True)


def wrong_for(roles: AbstractSet[str], why: str, kinds: tuple[str, ...] = ()) -> dict[str, str]:
    """Cells known to be wrong: each role (on these object kinds, or on all)."""
    if not kinds:
        return dict.fromkeys(sorted(roles), why)
    return {f"{role}@{kind}": why for role in sorted(roles) for kind in kinds}


# Admin pages the administrator is refused too: sign-in attempts are recorded by signing in, never by hand; a new
# catalogue version is a draft copied from one (the "make a draft" action), and a published one is never deleted.
ADMIN_REFUSED = frozenset(
    {
        "axes_accessattempt_add",
        "axes_accesslog_add",
        "axes_accessfailurelog_add",
        "risk_catalogueversion_add",
        "risk_catalogueversion_delete",
        "risk_indicatorcategory_delete",
        "risk_indicator_delete",
    }
)
NOT_EVEN_ADMIN = {ADMINISTRATOR: REFUSED}


def admin_page(page: str, model: str = "") -> Row:
    """One of the admin's pages about a model (`model`: about one row of it)."""
    args = (model,) if model else ()
    if page in ADMIN_REFUSED:
        return Row(args, NOBODY, others=LOGIN, special=NOT_EVEN_ADMIN)
    return Row(args, ADMIN, others=LOGIN)


TABLE: dict[str, Row] = {
    # Site pages and accounts.
    "ui:home": Row(ok=SIGNED_IN),
    "ui:accessibility": Row(ok=EVERYONE, public=True),
    "healthz": Row(ok=EVERYONE, public=True),
    "accounts:login": Row(ok=EVERYONE, public=True),
    "accounts:signed-out": Row(ok=EVERYONE, public=True),
    "accounts:two-factor": Row(ok=SIGNED_IN),
    "accounts:two-factor-setup": Row(ok=SIGNED_IN),
    "accounts:password-change": Row(ok=SIGNED_IN),
    "accounts:logout": post_only(),
    "accounts:password-reset": Row(ok=EVERYONE, public=True),
    "accounts:password-reset-sent": Row(ok=EVERYONE, public=True),
    # A link with a key that is not right: the page says so (and asks for a new link).
    "accounts:password-reset-confirm": Row(("MQ", "not-a-key"), EVERYONE, public=True),
    "accounts:keep-alive": post_only(),
    "notifications:notification-list": Row(ok=SIGNED_IN),
    # Children's records.
    "people:child-list": Row(ok=NOT_GOVERNANCE),
    "people:child-create": Row(ok=CHILD_RECORDERS),
    "people:child-detail": Row(("child",), CHILD),
    "people:child-edit": Row(("child",), only(CHILD, CHILD_RECORDERS)),
    "people:child-alias-create": post_only("child"),
    "people:child-address-create": post_only("child"),
    "people:child-identifier-create": post_only("child"),
    "people:child-access-report": Row(("child",), only(CHILD, MANAGERS)),
    "people:child-access-grant-create": post_only("child"),
    # Break-glass: a team member offered the emergency opening of a record of their team restricted to another
    # agency (the health practitioner already sees the allocated child: sent on to it). The police's managers review
    # the opening of the police's record (by a social worker of the team).
    "people:child-break-glass": Row(
        ("child",),
        {"team": NOBODY, "police": TEAM - POLICE_IN_TEAM, "allocated": TEAM - POLICE_IN_TEAM, "other_team": NOBODY},
    ),
    "people:breakglass-review-list": Row(ok=MANAGERS),
    "people:breakglass-review": Row(("opening",), {"police": frozenset({DETECTIVE_SERGEANT, SERVICE_MANAGER})}),
    "api-child-list": Row(ok=NOT_GOVERNANCE),
    "api-child-detail": Row(("child",), CHILD),
    # Referrals.
    "referrals:referral-list": Row(ok=NOT_GOVERNANCE),
    "referrals:referral-start": Row(ok=NOT_GOVERNANCE),
    "referrals:referral-start-cse": Row(ok=frozenset({CASE_HOLDER})),
    "referrals:referral-queue": Row(
        {"spoc": ("spoc",), "triage": ("triage",), "mash": ("mash",), "consent": ("consent",)},
        {
            "spoc": frozenset({SPOC}),
            "triage": frozenset({TRIAGE_WORKER, TRIAGE_MANAGER}),
            "mash": frozenset({MASH_WORKER}),
            "consent": frozenset({HEAD_OF_SERVICE}),
        },
    ),
    "referrals:referral-detail": Row(("referral",), REFERRAL),
    "referrals:referral-edit": Row(("referral",), REFERRAL),  # the referrer's draft; anyone else to the referral
    "referrals:referral-attachment": Row(("referral", "attachment"), REFERRAL),
    "referrals:referral-clock": post_only("referral", 1, "pause"),
    "referrals:referral-action": post_only("referral", "screen"),
    "api-referral-list": Row(ok=NOT_GOVERNANCE),
    "api-referral-detail": Row(("referral",), REFERRAL),
    "api-referral-action": post_only("referral", "screen"),
    # The daily review, agency checks, escalations.
    "cases:review-queue": Row(ok=TEAM_MEMBERS),
    "cases:review-detail": Row(("waiting",), WHOLE_TEAM),
    "cases:review-action": post_only("waiting", "decide"),
    "cases:check-list": Row(ok=WORKLIST),
    "cases:check-detail": Row(("check",), {"team": TEAM}),
    "cases:escalation-list": Row(ok=WORKLIST),
    "cases:escalation-detail": Row(("escalation",), {"team": TEAM | {SERVICE_MANAGER}}),
    "cases:awaiting-meeting": Row(ok=TEAM_MEMBERS),
    "cases:caseloads": Row(ok=MANAGERS),
    "api-review-queue": Row(ok=TEAM_MEMBERS),
    "api-review-decision": post_only("waiting"),
    "api-review-checks": post_only("waiting"),
    "api-review-escalate": post_only("waiting"),
    "api-check-answer": post_only("check"),
    "api-escalation-list": Row(ok=WORKLIST),
    "api-escalation-detail": Row(("escalation",), {"team": TEAM | {SERVICE_MANAGER}}),
    "api-awaiting-meeting": Row(ok=TEAM_MEMBERS),
    "api-caseloads": Row(ok=MANAGERS),
    # The Evolve case.
    "cases:case-list": Row(ok=NOT_GOVERNANCE),
    "cases:child-case": Row(("child",), CASEWORK),
    "cases:case-detail": Row(("case",), CASEWORK),
    "cases:allocation-end": post_only("case", "allocation"),
    "cases:note-share": Row(("case", "note"), NOTE),
    "cases:case-action": post_only("case", "note"),
    "api-case-list": Row(ok=NOT_GOVERNANCE),
    "api-case-detail": Row(("case",), CASEWORK),
    "api-case-notes": Row(("case",), CASEWORK),
    "api-case-note-share": post_only("case", "note"),
    "api-case-allocations": post_only("case"),
    "api-case-allocation-end": post_only("case", "allocation"),
    "api-case-holder": post_only("case"),
    "api-case-key-individual": post_only("case"),
    "api-case-review-date": post_only("case"),
    "api-case-close": post_only("case"),
    "api-case-reopen": post_only("case"),
    "api-case-child-words": Row(("case",), CASEWORK),
    "api-case-strategy-discussion": post_only("case"),
    "api-case-sharing-ledger": Row(("case",), CASEWORK),
    # Quality assurance: the team's managers draw and assign; the team does the audits.
    "cases:quality-samples": Row(ok=TEAM_MEMBERS),
    "cases:quality-sample": Row(("sample",), WHOLE_TEAM),
    "cases:case-audit": Row(("audit",), only(CASEWORK, TEAM_MEMBERS)),  # QA is the team's, not the case holder's
    # Risk assessments.
    "risk:oversight": Row(ok=frozenset({TEAM_MANAGER})),
    "risk:child-assessments": Row(("child",), CASEWORK),
    "risk:assessment-new": Row(("child",), only(CASEWORK, TEAM_MEMBERS)),
    "risk:assessment-detail": Row(("assessment",), CASEWORK),
    "risk:assessment-review": post_only("assessment"),
    "api-risk-catalogue": Row(ok=SIGNED_IN),
    "api-risk-assessment-list": Row(query={"child": "child"}, ok=CASEWORK),
    "api-risk-assessment-detail": Row(("assessment",), CASEWORK),
    "api-risk-assessment-review": post_only("assessment"),
    "api-risk-oversight": Row(ok=frozenset({TEAM_MANAGER})),
    # Meetings.
    "meetings:meeting-list": Row(ok=TEAM_MEMBERS),
    "meetings:meeting-new": Row(ok=DECIDERS),
    "meetings:meeting-for-decision": Row(("decision",), only(CASEWORK, DECIDERS)),
    "meetings:my-actions": Row(ok=WORKLIST),
    "meetings:action-done": post_only("action"),
    "meetings:escalations": Row(ok=WORKLIST),
    "meetings:meeting-detail": Row(("meeting",), WHOLE_TEAM),
    "meetings:minutes": Row(("meeting",), WHOLE_TEAM),
    "meetings:meeting-action": post_only("meeting", "close"),
    "meetings:item-detail": Row(("meeting", "item"), plus(CASEWORK, team=frozenset({SERVICE_MANAGER}))),
    "meetings:item-extract": Row(("meeting", "item"), plus(CASEWORK, team=frozenset({SERVICE_MANAGER}))),
    "meetings:item-action": post_only("meeting", "item", "record"),
    "api-meeting-list": Row(ok=TEAM_MEMBERS),
    "api-meeting-for-decision": post_only(),
    "api-meeting-my-actions": Row(ok=WORKLIST),
    "api-meeting-action-done": post_only("action"),
    "api-meeting-escalations": Row(ok=WORKLIST),
    "api-meeting-detail": Row(("meeting",), WHOLE_TEAM),
    "api-meeting-agenda": post_only("meeting"),
    "api-meeting-agenda-refresh": post_only("meeting"),
    "api-meeting-attendance": post_only("meeting"),
    "api-meeting-attendance-remove": post_only("meeting"),
    "api-meeting-close": post_only("meeting"),
    "api-meeting-amendments": post_only("meeting"),
    "api-meeting-minutes": Row(("meeting",), WHOLE_TEAM),
    "api-meeting-item": Row(("meeting", "item"), plus(CASEWORK, team=frozenset({SERVICE_MANAGER}))),
    "api-meeting-item-actions": post_only("meeting", "item"),
    "api-meeting-item-allocations": post_only("meeting", "item"),
    "api-meeting-item-escalation": post_only("meeting", "item"),
    # Mapping and intelligence.
    "mapping:record-list": Row(ok=TEAM_MEMBERS),
    "mapping:record-new": Row(("person",), TEAM_MEMBERS),
    "mapping:record-detail": Row(("record",), INTELLIGENCE),
    "mapping:record-edit": Row(("record",), INTELLIGENCE),
    "mapping:record-flag": Row(("place",), INTELLIGENCE),  # groups and locations go to the sharing meeting
    "mapping:network": Row(("record",), INTELLIGENCE),
    "mapping:link-new": Row(("record",), INTELLIGENCE),
    "mapping:link-detail": Row(("link",), INTELLIGENCE),
    "mapping:link-edit": Row(("link",), INTELLIGENCE),
    "mapping:link-withdraw": Row(("link",), INTELLIGENCE),
    "mapping:child-mapping": Row(("child",), only(CHILD, TEAM_MEMBERS)),
    "mapping:child-network": Row(("child",), only(CHILD, TEAM_MEMBERS)),
    "mapping:child-link-new": Row(("child",), only(CHILD, TEAM_MEMBERS)),
    "mapping:linked-children": Row(("child",), only(CHILD, TEAM_MEMBERS)),
    "mapping:missing-new": Row(("child",), only(CHILD, TEAM_MEMBERS)),
    "mapping:missing-edit": Row(("episode",), only(CASEWORK, TEAM_MEMBERS)),
    "mapping:hotspots": Row(ok=TEAM_MEMBERS),
    "mapping:pack": Row(ok=TEAM_MEMBERS),
    "mapping:pack-pdf": Row(ok=TEAM_MEMBERS),
    "mapping:pack-csv": Row(ok=TEAM_MEMBERS),
    "mapping:pursuit": Row(ok=TEAM_MEMBERS),
    "mapping:investigation-new": Row(ok=TEAM_MEMBERS),
    "mapping:investigation-detail": Row(("investigation",), INTELLIGENCE),
    "mapping:prosecution-new": Row(ok=TEAM_MEMBERS),
    "mapping:prosecution-detail": Row(("prosecution",), INTELLIGENCE),
    "mapping:disruption-new": Row(ok=TEAM_MEMBERS),
    "mapping:disruption-detail": Row(("disruption",), INTELLIGENCE),
    "api-mapping-record-list": Row(ok=TEAM_MEMBERS),
    "api-mapping-record-detail": Row(("record",), INTELLIGENCE),
    "api-mapping-record-flag": post_only("record"),
    "api-mapping-record-links": Row(("record",), INTELLIGENCE),
    "api-mapping-record-network": Row(("record",), INTELLIGENCE),
    "api-mapping-link-create": post_only(),
    "api-mapping-link-detail": Row(("link",), INTELLIGENCE),
    "api-mapping-link-withdraw": post_only("link"),
    "api-mapping-child-network": Row(("child",), only(CHILD, TEAM_MEMBERS)),
    "api-mapping-linked-children": Row(("child",), only(CHILD, TEAM_MEMBERS)),
    "api-mapping-missing-episode-list": Row(("child",), only(CASEWORK, TEAM_MEMBERS)),
    "api-mapping-missing-episode-detail": Row(("episode",), only(CASEWORK, TEAM_MEMBERS)),
    "api-mapping-hotspots": Row(ok=TEAM_MEMBERS),
    "api-mapping-intelligence-pack": Row(ok=TEAM_MEMBERS),
    "api-mapping-investigation-list": Row(ok=TEAM_MEMBERS),
    "api-mapping-investigation-detail": Row(("investigation",), INTELLIGENCE),
    "api-mapping-investigation-close": post_only("investigation"),
    "api-mapping-prosecution-list": Row(ok=TEAM_MEMBERS),
    "api-mapping-prosecution-detail": Row(("prosecution",), INTELLIGENCE),
    "api-mapping-prosecution-conclude": post_only("prosecution"),
    "api-mapping-disruption-list": Row(ok=TEAM_MEMBERS),
    "api-mapping-disruption-detail": Row(("disruption",), INTELLIGENCE),
    "api-mapping-disruption-outcome": post_only("disruption"),
    # Data protection: managers, each for the children they can see (dataprotection/permissions.py).
    "dataprotection:export": Row(("child",), only(CHILD, MANAGERS)),
    "dataprotection:export-detail": Row(("export",), only(CHILD, MANAGERS)),
    "dataprotection:export-pdf": Row(("export",), only(CHILD, MANAGERS)),
    "dataprotection:export-json": Row(("export",), only(CHILD, MANAGERS)),
    "dataprotection:export-retry": post_only("export"),
    "dataprotection:retention-list": Row(ok=MANAGERS),
    "dataprotection:retention-review": Row(("review",), only(CHILD, MANAGERS)),
    "dataprotection:hold-list": Row(ok=MANAGERS),
    "dataprotection:child-holds": Row(("child",), only(CHILD, MANAGERS)),
    "dataprotection:hold-lift": Row(("hold",), only(CHILD, MANAGERS)),
    # The monthly reports.
    "reporting:list": Row(ok=DECIDERS | OVERSIGHT),
    "reporting:rebuild": post_only(),
    "reporting:detail": Row(("report",), REPORT),
    "reporting:pdf": Row(("report",), REPORT),
    "reporting:csv": Row(("report",), REPORT),
    "api-reports-list": Row(ok=DECIDERS | OVERSIGHT),
    "api-reports-rebuild": post_only(),
    "api-reports-detail": Row(("report",), REPORT),
    # The API's own description.
    "api-schema": Row(ok=SIGNED_IN),
    "api-docs": Row(ok=SIGNED_IN),
    # Django's admin site: the administrator's. Anyone else signed in is sent to its sign-in page, which tells them
    # they are not authorised (and signing in there again would still need the second factor).
    "admin:index": Row(ok=ADMIN, others=LOGIN),
    "admin:login": Row(ok=SIGNED_IN),
    # Signing out of the admin takes a POST; anyone else is first sent to the admin's front page (and from there to
    # its sign-in page).
    "admin:logout": Row(ok=SIGNED_IN - ADMIN, others=METHOD),
    "admin:password_change": Row(ok=ADMIN, others=LOGIN),
    "admin:password_change_done": Row(ok=ADMIN, others=LOGIN),
    "admin:autocomplete": Row(others=LOGIN, special=NOT_EVEN_ADMIN),  # asked about no field: refused to all
    "admin:jsi18n": Row(ok=ADMIN, others=LOGIN),
    "admin:view_on_site": Row(("content_type", "admin_user"), NOBODY, others=LOGIN, special=NOT_EVEN_ADMIN),
    "admin:app_list": Row(("accounts",), ADMIN, others=LOGIN),
    "admin:auth_user_password_change": Row(("admin_user",), ADMIN, others=LOGIN),
    "admin:otp_totp_totpdevice_config": Row(("otp_totp_totpdevice",), ADMIN, others=LOGIN),
    "admin:otp_totp_totpdevice_qrcode": Row(("otp_totp_totpdevice",), ADMIN, others=LOGIN),
    **{f"admin:{model}_changelist": Row(ok=ADMIN, others=LOGIN) for model in ADMIN_MODELS},
    **{f"admin:{model}_add": admin_page(f"{model}_add") for model in ADMIN_MODELS},
    **{
        f"admin:{model}_{page}": admin_page(f"{model}_{page}", model)
        for model in ADMIN_MODELS
        for page in ("history", "delete", "change")
    },
}
