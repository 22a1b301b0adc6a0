"""A synthetic SSDA903 history of the home LA, 2008-09 to 2023-24, for the landing folder.

Every child is made up (identifiers ``C`` + 6 digits, fake UPNs and postcodes); the generator is seeded,
so the files are byte-for-byte reproducible. One folder per collection year, ``raw/ssda903/<YYYY>/``
(YYYY = year ending 31 March): the CSV tables ``Header``, ``Episodes``, ``AD1`` and (from 2014)
``PlacedAdoption``; 2022-23 also has a ``Reviews`` table (recognised, not used); 2023-24 is an XML return.

Each return holds, as the DfE collects them, every episode open at any time in its year, with DEC
blank while the episode was still open at 31 March, so open episodes repeat from year to year. The
children adopted follow the routes the scorecard distinguishes: placement order then a placement with
new adopters; consent placements without a court order; adoption by the child's foster carers (who were
also approved adopters: A5, or A3 with consent); placements with adopters that broke down before the
placement with the family who adopted; children with an earlier period of care; matches made before the
placement order. RNE is coded as a case-management system would: T or U where the carers stay (a
placement for adoption with the current foster carers), P or B where they change, L for a change of legal
status only. The time from care to placement shortens from about 640 days (2008-11) to about 450 (2016-19)
and rises a little after 2020, as the published national figures did.

``python -m pipelines.sample_data`` writes them (with the other sources' samples).
A small file of synthetic *published* scorecard figures for benchmarking (England, the South West and
three LAs) goes to ``raw/adoption_scorecards/``: invented numbers in the published shape, not DfE's.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

SEED = 903
FIRST_YEAR, LAST_YEAR = 2009, 2024  # collection years (years ending 31 March)
XML_YEARS = (2024,)
REVIEWS_YEARS = (2023,)
PLACED_ADOPTION_FROM = 2014
CUTOFF = dt.date(FIRST_YEAR - 1, 4, 1)  # nothing earlier is in any return
SIM_END = dt.date(LAST_YEAR + 1, 3, 31)

# Mean days from entering care to the placement with adopters, by the year (ending March) of adoption.
A1_TREND = {
    2009: 650,
    2010: 640,
    2011: 625,
    2012: 610,
    2013: 585,
    2014: 545,
    2015: 505,
    2016: 470,
    2017: 455,
    2018: 445,
    2019: 450,
    2020: 465,
    2021: 480,
    2022: 490,
    2023: 480,
    2024: 470,
    2025: 465,
}
# Mean days from the placement order to the match.
A2_TREND = {
    2009: 250,
    2010: 245,
    2011: 240,
    2012: 230,
    2013: 215,
    2014: 195,
    2015: 175,
    2016: 160,
    2017: 150,
    2018: 150,
    2019: 155,
    2020: 165,
    2021: 175,
    2022: 180,
    2023: 175,
    2024: 170,
    2025: 170,
}
ADOPTIONS_PER_YEAR = 28
OTHER_ENTRANTS_PER_YEAR = 12

EPISODE_COLUMNS = (
    "CHILD",
    "DECOM",
    "RNE",
    "LS",
    "CIN",
    "PLACE",
    "PLACE_PROVIDER",
    "DEC",
    "REC",
    "REASON_PLACE_CHANGE",
    "HOME_POST",
    "PL_POST",
    "URN",
)
HEADER_COLUMNS = ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB")
AD1_COLUMNS = ("CHILD", "DOB", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR")
PLACED_COLUMNS = ("CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED")
REVIEW_COLUMNS = ("CHILD", "DOB", "REVIEW", "REVIEW_CODE")
ETHNIC_CODES = ("WBRI", "WBRI", "WBRI", "WBRI", "WBRI", "WOTH", "MWBC", "MWBA", "MOTH", "BAFR", "AIND", "APKN")


@dataclass
class Segment:
    """One episode: what began on ``start`` (carers, legal status, placement)."""

    start: dt.date
    rne: str
    ls: str
    place: str
    provider: str
    reason_change: str | None = None
    postcode: str = ""  # the placement's (PL_POST): the same while the carers are


@dataclass
class Period:
    segments: list[Segment]
    end: dt.date | None  # None: still looked after at the end of the simulation
    rec: str | None


@dataclass
class Child:
    child_id: str
    sex: str
    dob: dt.date
    ethnic: str
    upn: str
    home_post: str
    periods: list[Period] = field(default_factory=list)
    adoption: dict | None = None  # DATE_INT, DATE_MATCH, FOSTER_CARE, NB_ADOPTR, SEX_ADOPTR, LS_ADOPTR, date


def _d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _dmy(date: dt.date | None) -> str:
    return date.strftime("%d/%m/%Y") if date else ""


def _year_of(date: dt.date) -> int:
    return date.year + 1 if date.month >= 4 else date.year


class _Generator:
    def __init__(self, seed: int = SEED):
        self.rng = random.Random(seed)
        self.ids: set[str] = set()
        self.children: list[Child] = []

    # -- helpers ---------------------------------------------------------------------------------------------
    def new_id(self) -> str:
        while True:
            value = f"C{self.rng.randint(100000, 999999)}"
            if value not in self.ids:
                self.ids.add(value)
                return value

    def postcode(self) -> str:
        r = self.rng
        return f"ZZ{r.randint(1, 99)} {r.randint(1, 9)}{r.choice('ABDEFG')}{r.choice('HJLNPQ')}"

    def lognormal_days(self, mean: float, sigma: float = 0.35, low: int = 20) -> int:
        mu = math.log(mean) - sigma * sigma / 2
        return max(low, round(self.rng.lognormvariate(mu, sigma)))

    def uniform_date(self, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=self.rng.randint(0, (end - start).days))

    def child(self, entered: dt.date, age_days: int) -> Child:
        r = self.rng
        return Child(
            child_id=self.new_id(),
            sex=r.choice("12"),
            dob=entered - dt.timedelta(days=age_days),
            ethnic=r.choice(ETHNIC_CODES),
            upn=f"Z{r.randint(10**11, 10**12 - 1)}",
            home_post=self.postcode(),
        )

    # -- adopted children ------------------------------------------------------------------------------------
    def adopted_child(self, adoption_date: dt.date) -> None:
        r = self.rng
        route = r.choices(["placement_order", "foster_carers", "consent"], weights=[80, 11, 9])[0]
        by_consent = route == "consent" or (route == "foster_carers" and r.random() < 0.25)
        placed = adoption_date - dt.timedelta(days=self.lognormal_days(230, 0.3, low=70))
        # What the returns show begins in April 2008: for a child already in care then, the court order,
        # the placement and any change of carers fall after it (earlier changes would be lost to every return).
        if placed < CUTOFF + dt.timedelta(days=40):
            placed = CUTOFF + dt.timedelta(days=r.randint(40, 120))
            adoption_date = max(adoption_date, placed + dt.timedelta(days=r.randint(70, 200)))
        year = _year_of(adoption_date)
        to_placed = self.lognormal_days(A1_TREND[year], 0.3, low=60)
        entered = placed - dt.timedelta(days=to_placed)
        earliest_event = max(entered + dt.timedelta(days=1), CUTOFF)
        child = self.child(entered, r.choice([r.randint(0, 40), r.randint(0, 400), r.randint(200, 1500)]))
        segments, ls_now, carers_from = self.segments_before_placement(
            entered, to_placed, placed, route, earliest_event
        )
        court, match = self.court_and_match(segments, ls_now, carers_from, placed, year, earliest_event, by_consent)
        match = self.to_adopters(segments, placed, court, match, carers_from, by_consent)
        decision = (court or entered + dt.timedelta(days=to_placed // 2)) - dt.timedelta(days=r.randint(20, 90))
        decision = max(decision, entered + dt.timedelta(days=10))
        previous = self.earlier_period(entered) if r.random() < 0.1 else None
        if previous:
            child.periods.append(previous)
        self.place_postcodes(segments)
        child.periods.append(
            Period(
                segments,
                adoption_date if adoption_date <= SIM_END else None,
                r.choices(["E11", "E12"], weights=[80, 20])[0],
            )
        )
        couple = r.random() < 0.8
        child.adoption = {
            "date": adoption_date,
            "DATE_INT": min(decision, match),
            "DATE_MATCH": match,
            "FOSTER_CARE": "1" if carers_from else "0",
            "NB_ADOPTR": "2" if couple else "1",
            "SEX_ADOPTR": r.choice(["MF", "MF", "MF", "MM", "FF"]) if couple else r.choice(["F1", "F1", "M1"]),
            "LS_ADOPTR": r.choice(["L0", "L11", "L12"]) if couple else "L2",
        }
        self.children.append(child)

    def segments_before_placement(
        self, entered: dt.date, to_placed: int, placed: dt.date, route: str, earliest_event: dt.date
    ) -> tuple[list[Segment], str, dt.date | None]:
        """An adopted child's placements up to the adoptive one: the first (after an emergency protection order,
        a care order), then fostering for adoption or one move between foster carers. Returns the segments,
        the legal status now and when the child went to carers who are also the adopters (or None)."""
        r = self.rng
        ls0 = r.choices(["C1", "V2", "L2"], weights=[62, 28, 10])[0]
        segments = [Segment(entered, "S", ls0, r.choice(["U4", "U6", "U6", "U3"]), "PR1")]
        ls_now = ls0
        if ls0 == "L2":  # emergency protection order, then an interim care order a week or so later
            ls_now = "C1"
            segments.append(Segment(entered + dt.timedelta(days=r.randint(5, 8)), "L", "C1", segments[-1].place, "PR1"))
        carers_from = None
        if route == "foster_carers":
            # to foster carers who are also approved adopters (fostering for adoption), before the placement
            carers_from = entered + dt.timedelta(days=round(to_placed * r.uniform(0.35, 0.75)))
            carers_from = max(carers_from, earliest_event, segments[-1].start + dt.timedelta(days=1))
            if carers_from < placed - dt.timedelta(days=30):
                segments.append(Segment(carers_from, "P", ls_now, "U5", "PR1", "CARPL"))
            else:
                carers_from = None  # too late: placed for adoption with a placement order, as most are
        elif r.random() < 0.3:  # one move between foster carers
            move = entered + dt.timedelta(days=r.randint(30, max(35, to_placed // 2)))
            if move > segments[-1].start:
                segments.append(Segment(move, "P", ls_now, r.choice(["U4", "U6"]), r.choice(["PR1", "PR4"]), "PLACE"))
        return segments, ls_now, carers_from

    def court_and_match(
        self,
        segments: list[Segment],
        ls_now: str,
        carers_from: dt.date | None,
        placed: dt.date,
        year: int,
        earliest_event: dt.date,
        by_consent: bool,
    ) -> tuple[dt.date | None, dt.date]:
        """The placement order's date (None with consent; a full care order first for some) and the match."""
        r = self.rng
        court = match = None
        if not by_consent:
            a2 = self.lognormal_days(A2_TREND[year], 0.4, low=10)
            court = placed - dt.timedelta(days=a2 + r.randint(10, 60))
            court = max(court, earliest_event, segments[-1].start + dt.timedelta(days=1))
            if ls_now == "C1" and court - segments[-1].start > dt.timedelta(days=120) and r.random() < 0.5:
                full_order = segments[-1].start + dt.timedelta(days=r.randint(40, 100))
                segments.append(Segment(full_order, "L", "C2", segments[-1].place, segments[-1].provider))
                ls_now = "C2"
            with_placement = r.random() < (0.35 if carers_from else 0.08)  # the order made the day of the placement
            if court < placed and court > segments[-1].start and not with_placement:
                segments.append(Segment(court, "L", "E1", segments[-1].place, segments[-1].provider))
                ls_now = "E1"
            else:  # the placement order came with the placement
                court = placed
            if r.random() < 0.06:  # matched before the placement order (A2 = 0)
                match = court - dt.timedelta(days=r.randint(5, 40))
            else:
                match = min(court + dt.timedelta(days=a2), placed - dt.timedelta(days=r.randint(3, 30)))
                match = max(match, court)
        else:
            match = placed - dt.timedelta(days=r.randint(14, 90))
        return court, match

    def to_adopters(
        self,
        segments: list[Segment],
        placed: dt.date,
        court: dt.date | None,
        match: dt.date,
        carers_from: dt.date | None,
        by_consent: bool,
    ) -> dt.date:
        """The placement with the adopters on ``placed``, coded as a case-management system would: with the
        current foster carers (A3 consent, A5 placement order) the carers stay, so RNE T (placement only) or U
        (legal status too); with new adopters RNE P, or B when the legal status changes with it. Some children
        placed with adopters first move in with other adopters, a placement that breaks down. Returns the match
        date (with the adopters who adopt)."""
        r = self.rng
        ls_now = segments[-1].ls
        ls = ls_now if by_consent else "E1"
        same_carers_rne = "T" if ls == ls_now else "U"
        if carers_from:
            segments.append(Segment(placed, same_carers_rne, ls, "A3" if by_consent else "A5", "PR1", "CARPL"))
            return match
        if (
            not by_consent
            and court is not None
            and court < placed
            and (placed - court).days > 200
            and r.random() < 0.12
        ):
            match = self.broken_down_placement(segments, placed, court, match)
            ls_now = segments[-1].ls
        segments.append(
            Segment(
                placed,
                "P" if ls == ls_now else "B",
                ls,
                "A4" if by_consent else "A6",
                r.choice(["PR1", "PR1", "PR3"]),
                "CARPL",
            )
        )
        return match

    def broken_down_placement(
        self, segments: list[Segment], placed: dt.date, court: dt.date, match: dt.date
    ) -> dt.date:
        """A placement with adopters after the placement order that breaks down (back to foster carers) before
        the placement with the adopters who adopt; the match with those is after the breakdown."""
        r = self.rng
        first = max(court, segments[-1].start) + dt.timedelta(days=r.randint(20, 60))
        ended = first + dt.timedelta(days=r.randint(20, 90))
        if ended > placed - dt.timedelta(days=40) or first <= segments[-1].start:
            return match
        segments.append(Segment(first, "P", "E1", "A6", "PR1", "CARPL"))
        segments.append(Segment(ended, "P", "E1", r.choice(["U4", "U6"]), "PR1", r.choice(["CREQO", "CHILD"])))
        return min(max(match, ended + dt.timedelta(days=r.randint(5, 20))), placed - dt.timedelta(days=3))

    def place_postcodes(self, segments: list[Segment]) -> list[Segment]:
        """Each placement's postcode (the carers' home): kept while the carers stay (RNE L, T, U), a new one with
        new carers (so a move to new carers in the same kind of placement still shows as a change)."""
        for before, segment in zip([None, *segments], segments):
            if before is not None and segment.rne in ("L", "T", "U"):
                segment.postcode = before.postcode
                continue
            segment.postcode = self.postcode()
            while before is not None and segment.postcode == before.postcode:
                segment.postcode = self.postcode()
        return segments

    def earlier_period(self, entered: dt.date) -> Period | None:
        r = self.rng
        back = entered - dt.timedelta(days=r.randint(150, 600))
        length = r.randint(40, 100)
        end = back + dt.timedelta(days=length)
        if end >= entered - dt.timedelta(days=30):
            return None
        rec = "E4A" if end >= dt.date(2016, 4, 1) else "E4"
        return Period(self.place_postcodes([Segment(back, "S", "V2", "U6", "PR1")]), end, rec)

    # -- children not adopted --------------------------------------------------------------------------------
    def other_child(self, entered: dt.date) -> None:
        r = self.rng
        child = self.child(entered, r.randint(200, 5800))
        segments = [
            Segment(
                entered, "S", r.choice(["V2", "V2", "C1"]), r.choice(["U4", "U6", "K2", "U1"]), r.choice(["PR1", "PR4"])
            )
        ]
        length = self.lognormal_days(420, 0.9, low=5)
        for _ in range(r.randint(0, 2)):
            change = segments[-1].start + dt.timedelta(days=r.randint(20, 300))
            if change - entered >= dt.timedelta(days=length):
                break
            if r.random() < 0.5 or segments[-1].ls != "C1":  # a move (new carers), or the full care order
                segments.append(
                    Segment(
                        change,
                        "P",
                        segments[-1].ls,
                        r.choice(["U4", "U6", "K2", "P1"]),
                        r.choice(["PR1", "PR4"]),
                        "PLACE",
                    )
                )
            else:
                segments.append(Segment(change, "L", "C2", segments[-1].place, segments[-1].provider))
        end = entered + dt.timedelta(days=length)
        rec = r.choice(["E13", "E8", "E41", "E45", "E46", "E4A" if end >= dt.date(2016, 4, 1) else "E4"])
        child.periods.append(Period(self.place_postcodes(segments), end if end <= SIM_END else None, rec))
        self.children.append(child)

    def run(self) -> list[Child]:
        for year in range(FIRST_YEAR, LAST_YEAR + 2):  # adoptions into 2024-25 stay open in the last return
            start, end = dt.date(year - 1, 4, 1), dt.date(year, 3, 31)
            for _ in range(ADOPTIONS_PER_YEAR + self.rng.randint(-4, 4)):
                self.adopted_child(self.uniform_date(start, end))
            if year <= LAST_YEAR:
                for _ in range(OTHER_ENTRANTS_PER_YEAR):
                    self.other_child(self.uniform_date(start - dt.timedelta(days=365), end))
        return self.children


# ------------------------------------------------------------------------------------------------------------
# Episodes and tables
# ------------------------------------------------------------------------------------------------------------
@dataclass
class Episode:
    child: Child
    decom: dt.date
    dec: dt.date | None
    rec: str | None
    segment: Segment


def episodes_of(child: Child) -> list[Episode]:
    """The child's episodes as returns show them: nothing before April of the first year (a child already in
    care then has one episode from its entry, in the state it was in on that day)."""
    out = []
    for period in child.periods:
        if period.end is not None and period.end < CUTOFF:
            continue
        segments = list(period.segments)
        before = [s for s in segments if s.start < CUTOFF]
        if len(before) > 1:
            state = before[-1]
            segments = [
                Segment(before[0].start, "S", state.ls, state.place, state.provider, None, state.postcode),
                *[s for s in segments if s.start >= CUTOFF],
            ]
        for i, segment in enumerate(segments):
            last = i == len(segments) - 1
            dec = period.end if last else segments[i + 1].start
            rec = period.rec if last else "X1"
            out.append(Episode(child, segment.start, dec, rec if dec else None, segment))
    return out


def _year_rows(children: list[Child], year: int) -> dict[str, list[dict]]:
    start, end = dt.date(year - 1, 4, 1), dt.date(year, 3, 31)
    tables: dict[str, list[dict]] = {"Header": [], "Episodes": [], "AD1": [], "PlacedAdoption": [], "Reviews": []}
    for child in children:
        episodes = [e for e in episodes_of(child) if e.decom <= end and (e.dec is None or e.dec >= start)]
        if not episodes:
            continue
        tables["Header"].append(
            {
                "CHILD": child.child_id,
                "SEX": child.sex,
                "DOB": _dmy(child.dob),
                "ETHNIC": child.ethnic,
                "UPN": child.upn,
                "MOTHER": "",
                "MC_DOB": "",
            }
        )
        tables["Episodes"] += [_episode_row(child, e, end) for e in episodes]
        adoption = child.adoption
        if adoption and start <= adoption["date"] <= end:
            tables["AD1"].append(
                {
                    "CHILD": child.child_id,
                    "DOB": _dmy(child.dob),
                    **{k: (_dmy(v) if isinstance(v, dt.date) else v) for k, v in adoption.items() if k != "date"},
                }
            )
        if adoption and year >= PLACED_ADOPTION_FROM and adoption["DATE_INT"] <= end and adoption["date"] >= start:
            ceased = adoption["date"] if adoption["date"] <= end else None
            tables["PlacedAdoption"].append(
                {
                    "CHILD": child.child_id,
                    "DOB": _dmy(child.dob),
                    "DATE_PLACED": _dmy(adoption["DATE_INT"]),
                    "DATE_PLACED_CEASED": _dmy(ceased),
                    "REASON_PLACED_CEASED": "RD1" if ceased else "",
                }
            )
        if year in REVIEWS_YEARS:
            review = max(episodes[0].decom, start) + dt.timedelta(days=100)
            if review <= end:
                tables["Reviews"].append(
                    {"CHILD": child.child_id, "DOB": _dmy(child.dob), "REVIEW": _dmy(review), "REVIEW_CODE": "PN1"}
                )
    return tables


def _episode_row(child: Child, e: Episode, end: dt.date) -> dict:
    """One episode as the year's return gives it: still open when it closed after the year's end."""
    closed = e.dec is not None and e.dec <= end
    s = e.segment
    return {
        "CHILD": child.child_id,
        "DECOM": _dmy(e.decom),
        "RNE": s.rne,
        "LS": s.ls,
        "CIN": "N1",
        "PLACE": s.place,
        "PLACE_PROVIDER": s.provider,
        "DEC": _dmy(e.dec) if closed else "",
        "REC": e.rec if closed else "",
        "REASON_PLACE_CHANGE": (s.reason_change or "")
        if e.decom >= dt.date(2015, 4, 1) and s.rne in ("P", "T", "B", "U")
        else "",
        "HOME_POST": child.home_post,
        "PL_POST": s.postcode,
        "URN": "XXXXXXX" if s.place.startswith(("U", "A", "P")) else "SC999999",
    }


def _csv(columns: tuple[str, ...], rows: list[dict]) -> str:
    lines = [",".join(columns)] + [",".join(str(r.get(c, "")) for c in columns) for r in rows]
    return "\n".join(lines) + "\n"


def _xml(tables: dict[str, list[dict]]) -> str:
    def el(tag: str, value: str) -> str:
        return f"<{tag}>{value}</{tag}>" if value else f"<{tag} />"

    episodes: dict[str, list[dict]] = {}
    for row in tables["Episodes"]:
        episodes.setdefault(row["CHILD"], []).append(row)
    ad1 = {r["CHILD"]: r for r in tables["AD1"]}
    placed: dict[str, list[dict]] = {}
    for row in tables["PlacedAdoption"]:
        placed.setdefault(row["CHILD"], []).append(row)
    parts = ["<?xml version='1.0' encoding='us-ascii'?>\n<EXPSSDA903>"]
    for header in tables["Header"]:
        cid = header["CHILD"]
        parts.append("<CHILD><HEADER>")
        parts.append(el("CHILDID", cid) + "".join(el(c, header[c]) for c in ("UPN", "SEX", "DOB", "ETHNIC")))
        parts.append("<UASC />" + el("MOTHER", header["MOTHER"]) + el("MC_DOB", header["MC_DOB"]))
        for row in placed.get(cid, []):
            parts.append("<AD_PLACED>" + "".join(el(c, row[c]) for c in PLACED_COLUMNS[2:]) + "</AD_PLACED>")
        if cid in ad1:
            parts.append("".join(el(c, ad1[cid][c]) for c in AD1_COLUMNS[2:]))
        parts.append("</HEADER>")
        for row in episodes.get(cid, []):
            parts.append(
                "<EPISODE>"
                + "".join(el("PL" if c == "PLACE" else c, row[c]) for c in EPISODE_COLUMNS[1:])
                + "</EPISODE>"
            )
        parts.append("</CHILD>")
    parts.append("</EXPSSDA903>\n")
    return "".join(parts)


def generate_returns(seed: int = SEED) -> dict[str, str]:
    """Relative path -> file text for every return (deterministic for a seed)."""
    children = _Generator(seed).run()
    files = {}
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        tables = _year_rows(children, year)
        if year in XML_YEARS:
            files[f"{year}/ssda903_{year - 1}-{year % 100:02d}.xml"] = _xml(tables)
            continue
        files[f"{year}/header.csv"] = _csv(HEADER_COLUMNS, tables["Header"])
        files[f"{year}/episodes.csv"] = _csv(EPISODE_COLUMNS, tables["Episodes"])
        files[f"{year}/ad1.csv"] = _csv(AD1_COLUMNS, tables["AD1"])
        if year >= PLACED_ADOPTION_FROM:
            files[f"{year}/placed_for_adoption.csv"] = _csv(PLACED_COLUMNS, tables["PlacedAdoption"])
        if year in REVIEWS_YEARS:
            files[f"{year}/reviews.csv"] = _csv(REVIEW_COLUMNS, tables["Reviews"])
    return files


# ------------------------------------------------------------------------------------------------------------
# Synthetic published scorecards (benchmarks)
# ------------------------------------------------------------------------------------------------------------
BENCHMARK_AREAS = (
    ("National", "E92000001", "", "", "", ""),
    ("Regional", "E92000001", "E12000009", "", "", ""),
    ("Local authority", "E92000001", "E12000009", "866", "E06000030", "Swindon"),
    ("Local authority", "E92000001", "E12000009", "803", "E06000025", "South Gloucestershire"),
    ("Local authority", "E92000001", "E12000009", "800", "E06000022", "Bath and North East Somerset"),
)
BENCHMARK_FILE = "synthetic_published_scorecards.csv"


def generate_benchmarks(seed: int = SEED) -> str:
    """Invented scorecard figures in the published (EES) shape, for the sample's benchmarking only."""
    r = random.Random(seed + 1)
    columns = (
        "time_period",
        "time_identifier",
        "geographic_level",
        "country_code",
        "country_name",
        "region_code",
        "region_name",
        "old_la_code",
        "new_la_code",
        "la_name",
        "indicator",
        "value",
        "children",
    )
    rows = []
    for level, country, region, old, new, name in BENCHMARK_AREAS:
        scale = 1.0 if level == "National" else r.uniform(0.88, 1.12)
        size = 15000 if level == "National" else (1500 if level == "Regional" else r.randint(40, 90))
        for year in range(2011, LAST_YEAR + 1):
            a1 = sum(A1_TREND[y] for y in (year - 2, year - 1, year)) / 3 * scale
            a2 = sum(A2_TREND[y] for y in (year - 2, year - 1, year)) / 3 * scale
            values = {
                "A1": round(a1),
                "A2": round(a2),
                "A3": round(r.uniform(45, 70), 1),
                "A10": round(a1 * r.uniform(0.86, 0.95)),
            }
            for indicator, value in values.items():
                small = level == "Local authority" and size < 50 and indicator == "A2"
                rows.append(
                    {
                        "time_period": year,
                        "time_identifier": "Reporting year",
                        "geographic_level": level,
                        "country_code": country,
                        "country_name": "England",
                        "region_code": region,
                        "region_name": "South West" if region else "",
                        "old_la_code": old,
                        "new_la_code": new,
                        "la_name": name,
                        "indicator": indicator,
                        "value": "c" if small else value,
                        "children": "c" if small else (size if indicator != "A2" else round(size * 0.8)),
                    }
                )
    return _csv(columns, rows)


def write_ssda903_samples(raw_dir: Path) -> list[Path]:
    """Write the sample returns under ``raw_dir/ssda903`` and the benchmarks under ``raw_dir/adoption_scorecards``."""
    written = []
    for relative, text in generate_returns().items():
        path = raw_dir / "ssda903" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    path = raw_dir / "adoption_scorecards" / BENCHMARK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(generate_benchmarks(), encoding="utf-8", newline="\n")
    written.append(path)
    return written
