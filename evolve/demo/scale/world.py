"""The force area: twelve local-authority Evolve teams, their agencies and the people who work in them.

The demo's own team ("Evolve", from seed_demo) is the first area, with the demo logins in their roles and more
colleagues beside them, so the demo users see a fair share of the data. The other eleven are made here. There are few
of these rows, so they go through the ORM."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password

from evolve.accounts.models import Agency, Team, User
from evolve.accounts.roles import Role
from evolve.cases.models import AllocationRole
from evolve.demo.data import DEMO_USERS
from evolve.demo.scale import words

# Made-up towns, one per area after the demo's own (Rotherham, as seed_demo has it).
TOWNS = (
    "Ashdale",
    "Brackenholme",
    "Calderby",
    "Dunmere",
    "Elmcote",
    "Fernhope",
    "Garrowby",
    "Holmewick",
    "Ingleby Moor",
    "Kestrel Bridge",
    "Lowfold",
)
DEMO_TOWN = "Rotherham"
CENTRE = (53.4302, -1.3571)  # the demo's hotel; each area's centre is placed around it


@dataclass
class Person:
    id: int
    agency: int | None
    name: str  # "First Last", as display_name gives it
    agency_name: str
    agency_short: str
    email: str = ""
    job_title: str = ""

    @property
    def who(self) -> str:
        """As evolve.cases.services._who writes a person."""
        return f"{self.name} ({self.agency_short})" if self.agency_short else self.name

    @property
    def submitted_by(self) -> str:
        """As referrals.services.submitted_by writes a referrer."""
        return f"{self.name} ({self.agency_name or 'no agency'})"


@dataclass
class Area:
    index: int
    team: int
    team_name: str
    town: str
    centre: tuple[float, float]
    police: int
    csc: int
    health: int
    barnardos: int
    pace: int
    tm: Person
    ds: Person
    practitioners: dict[str, list[Person]] = field(default_factory=dict)  # by allocation role
    case_holders: list[Person] = field(default_factory=list)
    spoc: list[Person] = field(default_factory=list)
    triage: list[Person] = field(default_factory=list)
    triage_managers: list[Person] = field(default_factory=list)
    mash: list[Person] = field(default_factory=list)
    referrers: list[Person] = field(default_factory=list)
    referrer_weights: list[float] = field(default_factory=list)
    service_managers: list[Person] = field(default_factory=list)
    head_of_service: Person | None = None
    open_meeting_exists: bool = False

    @property
    def members(self) -> list[Person]:
        return [self.tm, self.ds, *(p for people in self.practitioners.values() for p in people)]

    @property
    def agencies(self) -> list[int]:
        return [self.police, self.csc, self.health, self.barnardos, self.pace]


# Which agency each allocation role's practitioners come from.
ROLE_AGENCY = {
    AllocationRole.SOCIAL_WORK_LEAD.value: "csc",
    AllocationRole.POLICE_INVESTIGATION.value: "police",
    AllocationRole.CSE_NURSE.value: "health",
    AllocationRole.BARNARDOS_PRACTITIONER.value: "barnardos",
    AllocationRole.PACE_PARENT_WORKER.value: "pace",
}
# How many practitioners of each role a team has, beyond the demo's own in the demo team.
TEAM_PRACTITIONERS = {
    AllocationRole.SOCIAL_WORK_LEAD.value: 3,
    AllocationRole.POLICE_INVESTIGATION.value: 3,
    AllocationRole.CSE_NURSE.value: 1,
    AllocationRole.BARNARDOS_PRACTITIONER.value: 2,
    AllocationRole.PACE_PARENT_WORKER.value: 1,
}
DEMO_PRACTITIONER = {
    "socialworker": AllocationRole.SOCIAL_WORK_LEAD.value,
    "police": AllocationRole.POLICE_INVESTIGATION.value,
    "nurse": AllocationRole.CSE_NURSE.value,
    "barnardos": AllocationRole.BARNARDOS_PRACTITIONER.value,
    "pace": AllocationRole.PACE_PARENT_WORKER.value,
}


@dataclass
class _Plan:
    index: int
    team: Team
    town: str
    agencies: dict[str, Agency]
    users: dict[str, list[User]]


def _agency(name: str, short_name: str, kind: str) -> Agency:
    agency, _ = Agency.objects.get_or_create(short_name=short_name, defaults={"name": name, "kind": kind})
    return agency


class People:
    """Users made in bulk, each with a made-up name and an unusable password: only the demo logins sign in."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.pending: list[User] = []
        self.taken = set(User.objects.values_list("username", flat=True))

    def add(
        self, username: str, agency: Agency, roles: list[Role], *, team: Team | None = None, job_title: str = ""
    ) -> User:
        base, number = username, 1
        while username in self.taken:
            number += 1
            username = f"{base}{number}"
        self.taken.add(username)
        first = self.rng.choice(words.ADULT_MEN + words.ADULT_WOMEN + words.GIRLS[:20])
        last = self.rng.choice(words.SURNAMES)
        user = User(
            username=username,
            password=make_password(None),
            first_name=first,
            last_name=last,
            email=f"{username}@evolve.invalid",
            agency=agency,
            team=team,
            roles=[role.value for role in roles],
            job_title=job_title,
        )
        self.pending.append(user)
        return user

    def save(self) -> None:
        User.objects.bulk_create(self.pending, batch_size=1000)
        self.pending = []


def person(user: User, agencies: dict[int, Agency]) -> Person:
    agency = agencies.get(user.agency_id) if user.agency_id else None
    return Person(
        id=user.pk,
        agency=user.agency_id,
        name=user.get_full_name() or user.username,
        agency_name=agency.name if agency else "",
        agency_short=agency.short_name if agency else "",
        email=user.email,
        job_title=user.job_title,
    )


def build_areas(*, rng: random.Random, referrers_per_area: int) -> list[Area]:
    """The twelve areas, with every user saved. The demo team is area 0."""
    demo_team = Team.objects.get(name="Evolve")
    police = Agency.objects.get(short_name="SYP PPU")
    barnardos = Agency.objects.get(short_name="Barnardo's")
    pace = Agency.objects.get(short_name="PACE")
    people = People(rng)
    plans: list[_Plan] = []
    demo_users = {user.username: user for user in User.objects.filter(username__in=[d.username for d in DEMO_USERS])}

    for index, town in enumerate((DEMO_TOWN, *TOWNS)):
        if index == 0:
            team = demo_team
            csc, health = Agency.objects.get(short_name="CYPS"), Agency.objects.get(short_name="TRFT")
            schools = [Agency.objects.get(short_name="Riverside")]
        else:
            team, _ = Team.objects.get_or_create(name=f"Evolve {town}")
            csc = _agency(f"{town} Children's Services", f"{town} CS", Agency.Kind.CHILDRENS_SOCIAL_CARE)
            health = _agency(f"{town} Hospitals NHS Trust", f"{town} NHS", Agency.Kind.HEALTH)
            team.agencies.set([police, csc, health, barnardos, pace])
            schools = []
        for kind in words.SCHOOL_KINDS[: 4 - len(schools)]:
            schools.append(_agency(f"{town} {kind}", f"{town} {kind}"[:30], Agency.Kind.EDUCATION))
        gp = _agency(f"{town} Family Practice", f"{town} GP"[:30], Agency.Kind.HEALTH)
        by_kind = {"police": police, "csc": csc, "health": health, "barnardos": barnardos, "pace": pace}
        slug = town.lower().replace(" ", "")
        users: dict[str, list[User]] = {}

        def add(key: str, user: User, into: dict[str, list[User]] = users) -> None:
            into.setdefault(key, []).append(user)

        if index == 0:
            for demo in DEMO_USERS:
                user = demo_users[demo.username]
                role = demo.roles[0]
                if demo.username in DEMO_PRACTITIONER:
                    add(f"practitioner:{DEMO_PRACTITIONER[demo.username]}", user)
                elif role in (Role.TEAM_MANAGER, Role.DETECTIVE_SERGEANT, Role.HEAD_OF_SERVICE) or role in (
                    Role.SPOC_WORKER,
                    Role.TRIAGE_WORKER,
                    Role.TRIAGE_MANAGER,
                    Role.MASH_WORKER,
                ):
                    add(role.value, user)
                elif role == Role.CASE_HOLDING_SOCIAL_WORKER:
                    add("case_holder", user)
                elif role == Role.REFERRER:
                    add("referrer", user)
                elif role == Role.SERVICE_MANAGER:
                    add("service_manager", user)
        else:
            add(Role.TEAM_MANAGER.value, people.add(f"{slug}.tm", csc, [Role.TEAM_MANAGER], team=team))
            add(Role.DETECTIVE_SERGEANT.value, people.add(f"{slug}.ds", police, [Role.DETECTIVE_SERGEANT], team=team))
            add(Role.HEAD_OF_SERVICE.value, people.add(f"{slug}.hos", csc, [Role.HEAD_OF_SERVICE]))
            add("service_manager", people.add(f"{slug}.di", police, [Role.SERVICE_MANAGER]))
            add("service_manager", people.add(f"{slug}.sm", csc, [Role.SERVICE_MANAGER]))
        # Everyone beyond the demo's own: practitioners, the front door, case holders and referrers.
        for role_name, count in TEAM_PRACTITIONERS.items():
            agency = by_kind[ROLE_AGENCY[role_name]]
            extra = count - (1 if index == 0 else 0)
            for _ in range(extra):
                user = people.add(f"{slug}.{role_name.split('_')[0]}", agency, [Role.PRACTITIONER], team=team)
                add(f"practitioner:{role_name}", user)
        front_door = (
            (Role.SPOC_WORKER, csc, 3),
            (Role.TRIAGE_WORKER, csc, 3),
            (Role.TRIAGE_MANAGER, csc, 1),
            (Role.MASH_WORKER, police, 1),
            (Role.MASH_WORKER, health, 1),
            (Role.MASH_WORKER, csc, 1),
        )
        for role, agency, count in front_door:
            have = sum(1 for user in users.get(role.value, []) if user.agency_id == agency.pk)
            for _ in range(max(0, count - have)):
                add(role.value, people.add(f"{slug}.{role.value.split('_')[0]}", agency, [role]))
        for _ in range(4 - len(users.get("case_holder", []))):
            add("case_holder", people.add(f"{slug}.caseholder", csc, [Role.CASE_HOLDING_SOCIAL_WORKER]))
        referrer_agencies = [*schools, gp, health, police]
        for number in range(referrers_per_area - len(users.get("referrer", []))):
            agency = referrer_agencies[number % len(referrer_agencies)]
            title = "Designated safeguarding lead" if agency.kind == Agency.Kind.EDUCATION else "Safeguarding lead"
            add("referrer", people.add(f"{slug}.referrer", agency, [Role.REFERRER], job_title=title))
        plans.append(_Plan(index=index, team=team, town=town, agencies=by_kind, users=users))
    people.save()

    agencies = {agency.pk: agency for agency in Agency.objects.all()}
    areas = []
    for plan in plans:
        index, team = plan.index, plan.team

        def people_of(key: str, users: dict[str, list[User]] = plan.users) -> list[Person]:
            return [person(user, agencies) for user in users.get(key, [])]

        angle = index * 2 * 3.14159 / 12
        centre = (
            (CENTRE[0], CENTRE[1])
            if index == 0
            else (CENTRE[0] + 0.12 * math.sin(angle), CENTRE[1] + 0.2 * math.sin(angle + 1.5708))
        )
        area = Area(
            index=index,
            team=team.pk,
            team_name=team.name,
            town=plan.town,
            centre=centre,
            police=plan.agencies["police"].pk,
            csc=plan.agencies["csc"].pk,
            health=plan.agencies["health"].pk,
            barnardos=plan.agencies["barnardos"].pk,
            pace=plan.agencies["pace"].pk,
            tm=people_of(Role.TEAM_MANAGER.value)[0],
            ds=people_of(Role.DETECTIVE_SERGEANT.value)[0],
            practitioners={role: people_of(f"practitioner:{role}") for role in TEAM_PRACTITIONERS},
            case_holders=people_of("case_holder"),
            spoc=people_of(Role.SPOC_WORKER.value),
            triage=people_of(Role.TRIAGE_WORKER.value),
            triage_managers=people_of(Role.TRIAGE_MANAGER.value),
            mash=people_of(Role.MASH_WORKER.value),
            referrers=people_of("referrer"),
            service_managers=people_of("service_manager"),
            head_of_service=next(iter(people_of(Role.HEAD_OF_SERVICE.value)), None),
            open_meeting_exists=index == 0,  # seed_demo scheduled the demo team's next meeting
        )
        # The demo referrer ("referrer") makes a tenth of the demo area's referrals, so their own list is long.
        area.referrer_weights = [
            max(1.0, 0.1 * len(area.referrers)) if index == 0 and position == 0 else 1.0
            for position in range(len(area.referrers))
        ]
        areas.append(area)
    return areas
