"""The matching score: a pure function, tested without app or database."""

from datetime import date

import pytest

from app.matching import scoring
from app.matching.scoring import Candidate, Need, describe, describe_blocker, rank, score

TODAY = date(2026, 11, 23)
LABELS = {"digitaal": "Digitale vaardigheden", "lezen": "Lezen", "rekenen": "Rekenen"}


def need(**kwargs) -> Need:
    base = dict(location_id=1, availability=frozenset({"tue-morning", "thu-afternoon"}),
                goal_subjects=("digitaal",))
    base.update(kwargs)
    return Need(**base)


def candidate(**kwargs) -> Candidate:
    base = dict(id=10, name="Anneke de Boer", status="active", capacity=2, load=0,
                vog_on=date(2025, 1, 1), location_ids=frozenset({1}),
                availability=frozenset({"tue-morning"}), domains=frozenset({"digitaal"}))
    base.update(kwargs)
    return Candidate(**base)


def words(fit) -> list[str]:
    return [describe(f, LABELS) for f in fit.factors]


def fit(n=None, c=None):
    return score(n or need(), c or candidate(), today=TODAY, vog_max_age_years=3)


def test_reasons_are_plain_dutch_words():
    result = fit(
        need(availability=frozenset({"mon-morning", "tue-morning", "wed-evening", "sat-morning"}),
             languages=frozenset({"arabisch"}), nt2_beginner=True),
        candidate(availability=frozenset({"mon-morning", "tue-morning", "wed-evening"}),
                  languages={"arabisch": "Arabisch"}, load=1),
    )
    assert words(result) == [
        "zelfde locatie", "3 dagdelen overlap", "helpt met Digitale vaardigheden",
        "spreekt Arabisch", "nog ruimte voor 1",
    ]
    assert result.proposable


def test_one_shared_slot_is_singular():
    result = fit(need(availability=frozenset({"tue-morning"})))
    assert "1 dagdeel overlap" in words(result)


def test_more_overlap_scores_higher_but_only_up_to_three_slots():
    slots = ["mon-morning", "tue-morning", "wed-morning", "thu-morning", "fri-morning"]
    wanted = need(availability=frozenset(slots))
    scores = [fit(wanted, candidate(availability=frozenset(slots[:n]))).score
              for n in range(1, 6)]
    assert scores[0] < scores[1] < scores[2]
    assert scores[2] == scores[3] == scores[4]


def test_no_shared_moment_counts_against():
    with_overlap = fit(need(), candidate(availability=frozenset({"tue-morning"})))
    without = fit(need(), candidate(availability=frozenset({"sat-evening"})))
    assert without.score < with_overlap.score
    assert "geen dagdeel samen" in words(without)


def test_unknown_availability_is_neutral():
    result = fit(need(availability=frozenset()), candidate())
    assert not any(f.kind in ("availability", "no_availability") for f in result.factors)


def test_domain_fit_with_learning_goals():
    helps = fit(need(goal_subjects=("digitaal", "rekenen")),
                candidate(domains=frozenset({"digitaal", "rekenen"})))
    half = fit(need(goal_subjects=("digitaal", "rekenen")),
               candidate(domains=frozenset({"digitaal"})))
    none = fit(need(goal_subjects=("digitaal", "rekenen")),
               candidate(domains=frozenset({"lezen"})))
    assert helps.score > half.score > none.score
    assert "helpt met Rekenen" in words(helps)
    assert "helpt niet met deze leerdoelen" in words(none)


def test_same_location_beats_other_location():
    here = fit(need(location_id=1), candidate(location_ids=frozenset({1, 2})))
    elsewhere = fit(need(location_id=1), candidate(location_ids=frozenset({2})))
    assert here.score - elsewhere.score == scoring.SAME_LOCATION
    assert "andere locatie" in words(elsewhere)


def test_shared_language_counts_for_nt2_beginners_only():
    speaks = {"arabisch": "Arabisch"}
    beginner = fit(need(languages=frozenset({"arabisch"}), nt2_beginner=True),
                   candidate(languages=speaks))
    advanced = fit(need(languages=frozenset({"arabisch"}), nt2_beginner=False),
                   candidate(languages=speaks))
    assert beginner.score - advanced.score == scoring.SHARED_LANGUAGE_BEGINNER
    # Still worth knowing, without points.
    assert "spreekt Arabisch" in words(advanced)


def test_intake_preference_for_a_woman():
    wanted = need(preferred_sex="vrouw", preferences="liefst een vrouw")
    woman = fit(wanted, candidate(sex="vrouw"))
    man = fit(wanted, candidate(sex="man"))
    unknown = fit(wanted, candidate(sex=None))
    assert woman.score > unknown.score > man.score
    assert "past bij de wens: een vrouw" in words(woman)
    assert "de wens was een vrouw" in words(man)


def test_intake_preference_for_a_language():
    wanted = need(preferences="iemand die turks spreekt")
    turkish = fit(wanted, candidate(languages={"turks": "Turks"}))
    other = fit(wanted, candidate(languages={"pools": "Pools"}))
    assert turkish.score - other.score == scoring.PREFERRED_LANGUAGE
    assert "past bij de wens: spreekt Turks" in words(turkish)


@pytest.mark.parametrize(("text", "expected"), [
    ("Liefst een vrouw", "vrouw"),
    ("een vrouwelijke vrijwilliger", "vrouw"),
    ("Graag een man, ochtend", "man"),
    ("maakt niet uit, man of vrouw", None),
    ("", None),
    (None, None),
    ("iemand met geduld", None),
])
def test_preferred_sex_from_free_text(text, expected):
    assert scoring.preferred_sex(text) == expected


def test_more_room_ranks_first_among_equals():
    roomy = candidate(id=1, name="B", capacity=3, load=0)
    tight = candidate(id=2, name="A", capacity=3, load=2)
    proposed, _ = rank([fit(c=tight), fit(c=roomy)])
    assert [f.candidate.id for f in proposed] == [1, 2]


def test_waiting_long_adds_points_up_to_a_maximum():
    short = fit(need(waiting_days=9))
    long = fit(need(waiting_days=90))
    longer = fit(need(waiting_days=400))
    assert short.score < long.score == longer.score
    assert "wacht al 90 dagen" in words(long)


def test_earlier_match_counts_against():
    again = fit(need(earlier_volunteer_ids=frozenset({10})), candidate(id=10))
    fresh = fit(need(), candidate(id=10))
    assert fresh.score - again.score == -scoring.EARLIER_MATCH
    assert "was eerder gekoppeld aan deze deelnemer" in words(again)


@pytest.mark.parametrize(("changes", "why"), [
    ({"status": "paused"}, "gepauzeerd"),
    ({"status": "stopped"}, "gestopt"),
    ({"capacity": 2, "load": 2}, "vol (2 van 2)"),
    ({"vog_on": None}, "geen VOG"),
    ({"vog_on": date(2023, 11, 23)}, "VOG is ouder dan 3 jaar (23-11-2023)"),
    ({"vog_on": date(2027, 1, 1)}, "VOG is ouder dan 3 jaar (01-01-2027)"),
])
def test_hard_limits_keep_a_volunteer_apart(changes, why):
    result = fit(c=candidate(**changes))
    assert not result.proposable
    assert [describe_blocker(b, 3) for b in result.blockers] == [why]
    proposed, apart = rank([result])
    assert proposed == [] and apart == [result]


def test_vog_just_inside_the_limit_is_valid():
    assert fit(c=candidate(vog_on=date(2023, 11, 24))).proposable
    assert scoring.vog_valid(date(2024, 2, 28), date(2027, 2, 28), 3) is False
    assert scoring.vog_valid(date(2024, 2, 29), date(2027, 2, 28), 3) is True
    # On 29 February the limit falls on 28 February.
    assert scoring.vog_valid(date(2025, 2, 28), date(2028, 2, 29), 3) is False
    assert scoring.vog_valid(date(2025, 3, 1), date(2028, 2, 29), 3) is True


def test_a_volunteer_already_on_this_trajectory_is_not_proposed_again():
    result = fit(need(current_volunteer_ids=frozenset({10})), candidate(id=10))
    assert [describe_blocker(b, 3) for b in result.blockers] == [
        "is al gekoppeld aan deze deelnemer"]


def test_ranking_puts_the_best_fit_first_and_blocked_apart():
    wanted = need(availability=frozenset({"tue-morning", "thu-afternoon"}),
                  goal_subjects=("digitaal",))
    best = candidate(id=1, name="Best", availability=frozenset({"tue-morning", "thu-afternoon"}))
    ok = candidate(id=2, name="Ok", location_ids=frozenset({9}))
    full = candidate(id=3, name="Full", capacity=1, load=1,
                     availability=frozenset({"tue-morning", "thu-afternoon"}))
    fits = [score(wanted, c, today=TODAY, vog_max_age_years=3) for c in (ok, full, best)]
    proposed, apart = rank(fits)
    assert [f.candidate.name for f in proposed] == ["Best", "Ok"]
    assert [f.candidate.name for f in apart] == ["Full"]


@pytest.mark.parametrize(("text", "expected"), [
    ("Arabisch, Frans en Engels", ["Arabisch", "Frans", "Engels"]),
    ("Tigrinya / Amhaars", ["Tigrinya", "Amhaars"]),
    ("Nederlands; Turks", ["Turks"]),
    ("", []),
    (None, []),
])
def test_split_languages(text, expected):
    assert scoring.split_languages(text) == expected


@pytest.mark.parametrize(("scale", "levels", "alphabet", "expected"), [
    ("nt2", ("A1", "A2"), True, True),
    ("nt2", ("A0", "unknown"), None, True),
    ("nt2", ("B1", "A2"), True, False),
    ("nt2", ("unknown", "unknown"), False, True),
    ("nt1", ("instroom", "1F"), None, False),
])
def test_nt2_beginner(scale, levels, alphabet, expected):
    assert scoring.is_nt2_beginner(scale, levels, alphabet) is expected


def test_the_fast_path_gives_the_same_score_and_limits():
    """Ranking scores everyone without reasons, then explains the few on screen."""
    import itertools

    wanted = need(availability=frozenset({"mon-morning", "tue-morning"}),
                  goal_subjects=("digitaal", "lezen", "rekenen"),
                  languages=frozenset({"arabisch"}), nt2_beginner=True,
                  preferences="liefst een vrouw die ook tamazight (berbers) spreekt",
                  preferred_sex="vrouw", waiting_days=40,
                  earlier_volunteer_ids=frozenset({3}), current_volunteer_ids=frozenset({4}))
    variants = itertools.product(
        (1, 3, 4), ("active", "paused"), (0, 2), (None, date(2020, 1, 1), date(2025, 1, 1)),
        (frozenset(), frozenset({"tue-morning"}), frozenset({"sat-evening"})),
        (frozenset(), frozenset({"lezen", "rekenen", "digitaal"})),
        ({}, {"arabisch": "Arabisch"}, {"tamazight (berbers)": "Tamazight (Berbers)"}),
        (None, "man", "vrouw"))
    for vid, status, load, vog, slots, domains, languages, sex in variants:
        c = candidate(id=vid, status=status, load=load, vog_on=vog, availability=slots,
                      domains=domains, languages=languages, sex=sex)
        full = score(wanted, c, today=TODAY, vog_max_age_years=3)
        fast = score(wanted, c, today=TODAY, vog_max_age_years=3, explain=False)
        assert (fast.score, fast.blockers) == (full.score, full.blockers)
        assert fast.factors == () and full.score == sum(f.points for f in full.factors)


def test_a_preferred_language_of_several_words():
    wanted = need(preferences="graag iemand die tamazight (berbers) spreekt")
    result = fit(wanted, candidate(languages={"tamazight (berbers)": "Tamazight (Berbers)"}))
    assert "past bij de wens: spreekt Tamazight (Berbers)" in words(result)
