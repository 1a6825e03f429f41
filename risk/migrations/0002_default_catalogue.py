"""Version 1 of the screening catalogue, published: the tool Evolve ships with, written for this product.

An area adapts it by copying it into a draft in the admin, never by editing it (it is published). The data is
written out here, not imported from the app, so that this migration does the same thing whenever it is run.

High risk (`high`): the indicators that on their own say a child may already be being exploited. A child aged 13 or
under with any of them present is flagged whatever the rest of the screening says.
"""

from django.db import migrations
from django.utils import timezone

CSE, CCE, BOTH = "cse", "cce", "both"

# (category code, category name, [(indicator code, text, guidance, high risk, applies to)])
CATALOGUE = [
    (
        "missing",
        "Missing and absence",
        [
            (
                "missing-episodes",
                "Goes missing from home or care, or stays out overnight without their carer knowing where they are",
                "Count every episode, including those not reported to police. Note where the child was found and who with, if known.",
                False,
                BOTH,
            ),
            (
                "missing-repeatedly",
                "Has gone missing three or more times in the last three months",
                "Repeated missing episodes are one of the strongest signs that someone is drawing the child away. Check the police missing records and the return interviews.",
                True,
                BOTH,
            ),
            (
                "returns-unexplained",
                "Comes back from being missing with money, new things, injuries or drunk or high, and will not say where they were",
                "What the child comes back with often says more than what they tell you. Record what was seen, not the explanation given.",
                False,
                BOTH,
            ),
            (
                "found-out-of-area",
                "Has been found in a town or area they have no known reason to be in",
                "Note the place and how the child got there. Being found far from home with no money for the journey suggests someone else arranged it.",
                False,
                BOTH,
            ),
        ],
    ),
    (
        "education",
        "Education",
        [
            (
                "missing-from-education",
                "Misses school or college without good reason, or leaves during the day",
                "Include internal truancy and children signed out by adults the school does not know. Ask the school for the pattern, not just the percentage.",
                False,
                BOTH,
            ),
            (
                "excluded-or-reduced-timetable",
                "Is excluded, on a reduced timetable, or not on any school roll",
                "Time out of school is time when nobody is expecting the child anywhere. Say how many hours a week the child is in education.",
                False,
                BOTH,
            ),
            (
                "decline-at-school",
                "Has fallen behind, lost interest, or fallen out with staff or friends at school",
                "A sudden change matters more than a long-standing difficulty. Note when it started.",
                False,
                BOTH,
            ),
        ],
    ),
    (
        "relationships",
        "Relationships and associates",
        [
            (
                "older-partner",
                'Has a "boyfriend" or "girlfriend" who is much older, or an adult partner the family does not know',
                "Any adult in a relationship with a child under 16 is a safeguarding concern in itself. Record the person's name, age and anything else known about them.",
                True,
                CSE,
            ),
            (
                "older-associates",
                "Spends time with older young people or adults who are not family, or who are known to police",
                "Note names, nicknames and places where they meet: the team maps these links across children.",
                False,
                BOTH,
            ),
            (
                "linked-to-exploited-children",
                "Is friends with, or spends time with, other children known or thought to be exploited",
                "Name the other children if known. Exploiters often reach new children through existing victims.",
                False,
                BOTH,
            ),
            (
                "isolated-from-family",
                "Has cut themselves off from family and usual friends, or a new group of friends seems to control them",
                "Look for a child who is told where to be and when, or who is frightened of letting the new group down.",
                False,
                BOTH,
            ),
        ],
    ),
    (
        "money",
        "Money, gifts and possessions",
        [
            (
                "unexplained-gifts",
                "Has new clothes, jewellery, trainers or other things they could not afford and cannot explain",
                "Gifts are a common way of building a debt the child is later made to repay. Ask who bought them.",
                False,
                BOTH,
            ),
            (
                "unexplained-money",
                "Has cash or money in an account that they cannot account for",
                "Note amounts if known. Large sums, or money the child is holding for someone else, point to criminal exploitation.",
                False,
                BOTH,
            ),
            (
                "multiple-phones",
                "Has more than one phone or SIM card, or a phone nobody knows how they got",
                "Second phones are often given by exploiters to keep in touch with the child. Note any numbers known.",
                False,
                BOTH,
            ),
            (
                "travel-and-food-paid-for",
                "Has taxis, train tickets, food or phone credit paid for by people who are not family",
                "Small things paid for regularly are as telling as big gifts. Note the taxi firm or the place if known.",
                False,
                BOTH,
            ),
        ],
    ),
    (
        "health",
        "Physical and sexual health",
        [
            (
                "sexual-contact-with-adults",
                "Has had, or is said to have had, sexual contact with an adult",
                "Record who said so and when. Do not question the child in detail yourself: this may become evidence.",
                True,
                CSE,
            ),
            (
                "sti-or-pregnancy-under-16",
                "Has had a sexually transmitted infection, a pregnancy, a miscarriage or a termination while under 16",
                "Health staff should share this with the team under the information-sharing agreement. Note the dates.",
                True,
                CSE,
            ),
            (
                "repeated-sexual-health-visits",
                "Goes to sexual health services repeatedly, or asks for emergency contraception more than once",
                "Check whether the child was accompanied, and by whom.",
                False,
                CSE,
            ),
            (
                "unexplained-injuries",
                "Has injuries they will not explain, or explanations that do not fit the injury",
                "Include bruising, burns, bite marks and injuries from fights. Record what was seen and by whom.",
                False,
                BOTH,
            ),
        ],
    ),
    (
        "substances",
        "Substances",
        [
            (
                "substance-misuse",
                "Uses alcohol or drugs, or uses them more than before",
                "Note what, how often, and whether use has changed recently. Substance use can be both a cause and a sign of exploitation.",
                False,
                BOTH,
            ),
            (
                "substances-from-adults",
                "Is given alcohol or drugs by older people, or is found drunk or high with adults",
                "Supplying alcohol or drugs is a common first step in grooming. Note who supplies them, if known.",
                False,
                BOTH,
            ),
            (
                "drug-debt",
                "Owes money or favours for drugs, or is frightened of someone they owe",
                "A debt, real or made up, is used to make children carry or sell drugs. Ask whether the debt followed a robbery or a loss.",
                False,
                CCE,
            ),
        ],
    ),
    (
        "online",
        "Online and phone",
        [
            (
                "online-contact-unknown-adults",
                "Talks online or by phone with adults they have never met, or met only online",
                "Note the apps and user names if known; the team records online identities as links.",
                False,
                BOTH,
            ),
            (
                "sexual-images",
                "Has sent sexual images of themselves, been asked for them, or been threatened with them",
                "Do not view, copy or forward the images. Tell the police officer in the team, who will say what to do with the device.",
                True,
                CSE,
            ),
            (
                "secretive-phone-use",
                "Is secretive about their phone or social media, or leaves suddenly after a call or message",
                "Being summoned by phone at any hour is typical of both sexual and criminal exploitation.",
                False,
                BOTH,
            ),
            (
                "meets-online-contacts",
                "Has met, or is planning to meet, someone they first knew online",
                "Note where and when, and whether anyone went with the child.",
                False,
                BOTH,
            ),
        ],
    ),
    (
        "places",
        "Places and transport",
        [
            (
                "hotels-cars-unknown-adults",
                "Has been seen in cars, taxis, hotels or flats with adults not known to the family",
                "Record the vehicle registration, the address or the hotel and the date. These details are what allow the police to disrupt.",
                True,
                BOTH,
            ),
            (
                "picked-up-by-unknown-adults",
                "Is picked up from home, school or the placement by unknown adults or unfamiliar cars",
                "Note the vehicle and the time. Staff and neighbours are often the first to see this.",
                False,
                BOTH,
            ),
            (
                "known-locations",
                "Spends time at places locally known for exploitation, such as particular takeaways, parks, shops or flats",
                "Name the place. The team keeps these as locations and looks for other children linked to them.",
                False,
                BOTH,
            ),
        ],
    ),
    (
        "criminal",
        "Criminal exploitation",
        [
            (
                "carrying-for-others",
                "Carries or hides drugs, cash or weapons for someone else",
                "A child made to carry for others is a victim first, even when found committing an offence. Record who is thought to be behind it.",
                True,
                CCE,
            ),
            (
                "county-lines-travel",
                "Travels to other towns or counties, often by train or taxi, to deliver or sell drugs",
                "Look for train tickets, unexplained absences of a day or more and being found in another force area.",
                True,
                CCE,
            ),
            (
                "arrested-out-of-area",
                "Has been arrested or stopped by police in another area, particularly for drugs offences",
                "Ask the police officer in the team to check other forces' records as well as local ones.",
                False,
                CCE,
            ),
            (
                "gang-association",
                "Is linked to a gang or a group involved in crime, or uses its names, colours or signs",
                "Name the group if known. Note whether the child seems to want to belong or seems afraid to leave.",
                False,
                CCE,
            ),
            (
                "weapons-or-violence",
                "Carries a knife or other weapon, or has been threatened, robbed or hurt by people they know",
                "Violence against the child is often how a debt is created or a child is kept in line.",
                False,
                CCE,
            ),
        ],
    ),
    (
        "wellbeing",
        "Emotional wellbeing and circumstances",
        [
            (
                "self-harm",
                "Self-harms, has thought about or attempted suicide, or has an eating disorder",
                "Make sure the child's health needs are met now, whatever the screening outcome. Note any CAMHS involvement.",
                False,
                BOTH,
            ),
            (
                "change-in-behaviour",
                "Has changed noticeably: more angry, withdrawn, secretive, anxious or tired",
                "Say what has changed and since when. Family members usually notice first.",
                False,
                BOTH,
            ),
            (
                "previous-abuse",
                "Has been abused or neglected before, or lives with domestic abuse",
                "Earlier harm makes a child easier to target. Note any previous child protection plans.",
                False,
                BOTH,
            ),
            (
                "looked-after",
                "Is looked after by a local authority, or is a care leaver, especially if placed away from home",
                "Say which authority and where the child lives. Children placed out of their home area are at greater risk.",
                False,
                BOTH,
            ),
        ],
    ),
]


def load_default_catalogue(apps, schema_editor):
    CatalogueVersion = apps.get_model("risk", "CatalogueVersion")
    IndicatorCategory = apps.get_model("risk", "IndicatorCategory")
    Indicator = apps.get_model("risk", "Indicator")
    version = CatalogueVersion.objects.create(
        number=1,
        name="Evolve default CSE and CCE screening tool",
        published_at=timezone.now(),
        created_by_name="Evolve",
        notes="The screening tool Evolve ships with. To adapt it for an area, make a draft from it, change the draft and publish that.",
    )
    for category_order, (category_code, category_name, indicators) in enumerate(CATALOGUE, start=1):
        category = IndicatorCategory.objects.create(
            version=version, code=category_code, name=category_name, order=category_order
        )
        Indicator.objects.bulk_create(
            Indicator(
                category=category,
                code=code,
                text=text,
                guidance=guidance,
                is_high_risk=high,
                applies_to=applies_to,
                order=order,
            )
            for order, (code, text, guidance, high, applies_to) in enumerate(indicators, start=1)
        )


def remove_default_catalogue(apps, schema_editor):
    apps.get_model("risk", "CatalogueVersion").objects.filter(number=1).delete()


class Migration(migrations.Migration):
    dependencies = [("risk", "0001_screening_catalogue")]

    operations = [migrations.RunPython(load_default_catalogue, remove_default_catalogue)]
