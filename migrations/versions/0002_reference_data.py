"""reference lists of DESIGN.md as seed data for the choice lists

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 18:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# Frozen here on purpose: later changes to the lists are new migrations or admin edits.
LISTS = {
    "partner_kind": [
        ("gemeente", "Gemeente (Werk & Inkomen, Sociale dienst)"),
        ("uwv", "UWV"),
        ("leerwerkloket", "Leerwerkloket"),
        ("vluchtelingenwerk", "VluchtelingenWerk"),
        ("sociaal_werkbedrijf", "Sociaal werkbedrijf"),
        ("schuldhulp", "Schuldhulpverlening"),
        ("wijkteam", "Wijkteam"),
        ("welzijn", "Welzijn"),
        ("ggd", "GGD"),
        ("humanitas", "Humanitas"),
        ("werkgever", "Werkgever"),
        ("taalaanbieder", "Taalaanbieder / ROC"),
        ("bibliotheek", "Bibliotheek (eigen medewerker)"),
        ("vrijwilligersorganisatie", "Vrijwilligersorganisatie"),
        ("zelfmelder", "Zelfmelder"),
        ("anders", "Anders"),
    ],
    "found_via": [
        ("verwijzer", "Via verwijzer"),
        ("vrijwilliger", "Via een vrijwilliger"),
        ("website", "Website bibliotheek"),
        ("social_media", "Social media"),
        ("krant", "Krant"),
        ("via_via", "Via via"),
        ("anders", "Anders"),
    ],
    "goal_subject": [
        ("lezen", "Lezen"),
        ("schrijven", "Schrijven"),
        ("spreken_luisteren", "Spreken en luisteren"),
        ("rekenen", "Rekenen"),
        ("digitaal", "Digitale vaardigheden"),
        ("digitale_overheid", "Digitale overheid"),
        ("anders", "Anders"),
    ],
    "goal_context": [
        ("gezin", "Gezin en opvoeden"),
        ("werk", "Werk en solliciteren"),
        ("gezondheid", "Gezondheid"),
        ("geld", "Geld en administratie"),
        ("wonen", "Wonen en buurt"),
        ("inburgering", "Inburgering en samenleving"),
        ("zelfredzaamheid", "Zelfredzaamheid"),
    ],
    "offer": [
        ("taalmaatje", "Taalmaatje 1-op-1"),
        ("taalcafe", "Taalcafé"),
        ("leesclub", "Leesclub"),
        ("schrijftafel", "Schrijftafel"),
        ("klik_tik", "Klik & Tik"),
        ("digisterker", "Digisterker"),
        ("oefenen_nl", "Oefenen.nl met begeleiding"),
        ("nt1_lesgroep", "NT1-lesgroep"),
        ("roc_taalschool", "Vervolg bij ROC/taalschool"),
    ],
    "end_reason": [
        ("doel_behaald", "Doel behaald"),
        ("verhuisd", "Verhuisd"),
        ("werk_gevonden", "Werk gevonden"),
        ("gezondheid", "Ziekte of gezondheid"),
        ("familie", "Familieomstandigheden"),
        ("verwachting", "Voldoet niet aan verwachting"),
        ("te_moeilijk", "Te moeilijk"),
        ("niet_nodig", "Niet meer nodig"),
        ("onbereikbaar", "Niet meer bereikbaar"),
        ("overlijden", "Overlijden"),
        ("anders", "Anders"),
    ],
    "outflow": [
        ("formeel", "Vervolg formeel onderwijs"),
        ("non_formeel", "Vervolg non-formeel"),
        ("werk", "Werk"),
        ("vrijwilligerswerk", "Vrijwilligerswerk"),
        ("geen", "Geen vervolg"),
        ("onbekend", "Onbekend"),
    ],
    "match_end_reason": [
        ("doel_behaald", "Doel behaald"),
        ("deelnemer_gestopt", "Deelnemer gestopt"),
        ("vrijwilliger_gestopt", "Vrijwilliger gestopt"),
        ("klikte_niet", "Klikte niet"),
        ("verhuisd", "Verhuisd"),
        ("anders", "Anders"),
    ],
}

reference_items = sa.table(
    "reference_items",
    sa.column("list_name", sa.String),
    sa.column("code", sa.String),
    sa.column("label", sa.String),
    sa.column("sort_order", sa.Integer),
    sa.column("active", sa.Boolean),
)


def upgrade():
    rows = [
        {"list_name": list_name, "code": code, "label": label, "sort_order": i * 10,
         "active": True}
        for list_name, items in LISTS.items()
        for i, (code, label) in enumerate(items)
    ]
    op.bulk_insert(reference_items, rows)


def downgrade():
    op.execute(reference_items.delete().where(reference_items.c.list_name.in_(list(LISTS))))
