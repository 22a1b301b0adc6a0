"""The bad-input corpus: malformed files for every source, each with the outcome it must get.

Files are built here (a 10 MB cell and binary data are not worth committing) and written into a
landing folder; :data:`CASES` says, per file, what ``quality.load_log`` and ``quality.rejected_rows``
must show. Identifiers are made up; ``SECRET_CHILD_IDS`` must never reach the published warehouse.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import openpyxl

SECRET_CHILD_IDS = ("CORPUS-CHILD-0001", "CORPUS-CHILD-0002", "CORPUS-CHILD-0003", "CORPUS-CHILD-0004")


@dataclass(frozen=True)
class Case:
    """One corpus file and the outcome it must get."""

    path: str
    content: bytes
    status: str  # 'loaded' or 'rejected' in quality.load_log (rejected also when every row is quarantined)
    reason: str = ""  # a substring of the load_log reason (file rejected) or of a quarantined row's reason
    rows_loaded: int | None = None
    rows_rejected: int | None = None
    what: str = ""


def text(*lines: str, eol: str = "\n", encoding: str = "utf-8") -> bytes:
    return (eol.join(lines) + eol).encode(encoding)


def xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


OFSTED = (
    "la_code,framework,inspection_type,inspection_start_date,inspection_end_date,publication_date,"
    "service_area,judgement_area,grade"
)
GOOD_JUDGEMENT = "865,SIF,Single inspection,10/02/2014,06/03/2014,15/04/2014,Overall,Overall effectiveness,Good"
AUDITS = (
    "audit_id,child_id,audit_date,team,case_type,auditor_type,overall_grade,grade_planning,cp_plan_needed,"
    "assessment_up_to_date"
)
ACTIONS = "action_id,audit_id,action_type,owner_team,due_date,completed_date,description"
EPISODES = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN"
EES = (
    "time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,"
    "old_la_code,new_la_code,la_name,school_type,headcount,perm_excl,perm_excl_rate"
)
EES_ENGLAND = "201112,Academic year,National,E92000001,England,,,,,,Total"
EES_WILTS = "201112,Academic year,Local authority,E92000001,England,E12000009,South West,865,E06000054,Wiltshire,Total"
SCORECARD = "time_period,geographic_level,country_code,region_code,old_la_code,new_la_code,la_name,indicator,value"


def _workbook_judgements() -> bytes:
    return xlsx({"Judgements": [OFSTED.split(","), GOOD_JUDGEMENT.split(",")]})


def _truncated_workbook() -> bytes:
    whole = _workbook_judgements()
    return whole[: len(whole) // 2]


def _zip_not_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a spreadsheet")
    return buffer.getvalue()


CASES: tuple[Case, ...] = (
    # --- ofsted/ -------------------------------------------------------------------------------------------
    Case("ofsted/empty.csv", b"", "rejected", "empty", what="empty file"),
    Case("ofsted/blank_lines.csv", b"\n\n  \n", "rejected", "empty", what="only blank lines"),
    Case("ofsted/header_only.csv", text(OFSTED), "loaded", rows_loaded=0, rows_rejected=0, what="header only"),
    Case("ofsted/binary.csv", bytes(range(256)) * 64, "rejected", "binary", what="binary data"),
    Case(
        "ofsted/csv_named.xlsx",
        text(OFSTED, GOOD_JUDGEMENT),
        "loaded",
        rows_loaded=1,
        rows_rejected=0,
        what="a CSV named .xlsx",
    ),
    Case(
        "ofsted/xlsx_named.csv",
        _workbook_judgements(),
        "loaded",
        rows_loaded=1,
        rows_rejected=0,
        what="an .xlsx named .csv",
    ),
    Case(
        "ofsted/truncated.xlsx",
        _truncated_workbook(),
        "rejected",
        "damaged or was cut short",
        what="truncated workbook",
    ),
    Case(
        "ofsted/zip_not_workbook.xlsx",
        _zip_not_workbook(),
        "rejected",
        "not CSV, XLSX or ODS",
        what="a zip that is not a workbook",
    ),
    Case(
        "ofsted/missing_grade_column.csv",
        text(OFSTED.rsplit(",", 1)[0], GOOD_JUDGEMENT.rsplit(",", 1)[0]),
        "rejected",
        "lacks required column(s) grade",
        what="missing column",
    ),
    Case(
        "ofsted/renamed_grade_column.csv",
        text(OFSTED.replace(",grade", ",Grade awarded"), GOOD_JUDGEMENT),
        "rejected",
        "columns found",
        what="renamed column",
    ),
    Case(
        "ofsted/duplicated_column.csv",
        text(OFSTED + ",grade", GOOD_JUDGEMENT + ",Inadequate"),
        "loaded",
        rows_loaded=1,
        rows_rejected=0,
        what="duplicated column (the first is used)",
    ),
    Case(
        "ofsted/extra_columns.csv",
        text(OFSTED + ",inspector,notes", GOOD_JUDGEMENT + ",HMI Smith,none"),
        "loaded",
        rows_loaded=1,
        rows_rejected=0,
        what="extra columns",
    ),
    Case(
        "ofsted/bom.csv",
        b"\xef\xbb\xbf" + text(OFSTED, GOOD_JUDGEMENT),
        "loaded",
        rows_loaded=1,
        rows_rejected=0,
        what="UTF-8 BOM",
    ),
    Case(
        "ofsted/windows_1252.csv",
        text(
            OFSTED,
            GOOD_JUDGEMENT.replace("Single inspection", "Single inspection – children’s services"),
            encoding="cp1252",
        ),
        "loaded",
        rows_loaded=1,
        rows_rejected=0,
        what="Windows-1252 with ’ and –",
    ),
    Case(
        "ofsted/mixed_line_endings.csv",
        (
            OFSTED
            + "\r\n"
            + GOOD_JUDGEMENT
            + "\n"
            + GOOD_JUDGEMENT.replace("Overall,Overall", "Leadership,Overall")
            + "\r"
        ).encode(),
        "loaded",
        rows_loaded=2,
        rows_rejected=0,
        what="mixed CRLF, LF and CR line endings",
    ),
    Case(
        "ofsted/impossible_date.csv",
        text(OFSTED, GOOD_JUDGEMENT.replace("10/02/2014", "31/02/2014")),
        "rejected",
        "not a real date",
        rows_loaded=0,
        rows_rejected=1,
        what="impossible date",
    ),
    Case(
        "ofsted/future_date.csv",
        text(OFSTED, GOOD_JUDGEMENT.replace("06/03/2014,15/04/2014", "06/03/2014,15/04/2099")),
        "rejected",
        "in the future",
        rows_loaded=0,
        rows_rejected=1,
        what="future date",
    ),
    Case(
        "ofsted/two_digit_year.csv",
        text(OFSTED, GOOD_JUDGEMENT.replace("15/04/2014", "15/04/14")),
        "loaded",
        rows_loaded=1,
        rows_rejected=0,
        what="two-digit year",
    ),
    Case(
        "ofsted/us_date.csv",
        text(OFSTED, GOOD_JUDGEMENT.replace("15/04/2014", "04/15/2014")),
        "rejected",
        "US-style",
        rows_loaded=0,
        rows_rejected=1,
        what="US-style date",
    ),
    Case(
        "ofsted/unknown_grade.csv",
        text(OFSTED, GOOD_JUDGEMENT.replace(",Good", ",Satisfactory")),
        "rejected",
        "not a grade",
        rows_loaded=0,
        rows_rejected=1,
        what="unknown grade",
    ),
    Case(
        "ofsted/wrong_framework_grade.csv",
        text(OFSTED, GOOD_JUDGEMENT.replace(",Good", ",Adequate")),
        "rejected",
        "not a grade of the SIF framework",
        rows_loaded=0,
        rows_rejected=1,
        what="a grade from another framework",
    ),
    Case(
        "ofsted/unknown_la.csv",
        text(OFSTED, GOOD_JUDGEMENT.replace("865,", "999,", 1)),
        "rejected",
        "not in the reference LA list",
        rows_loaded=0,
        rows_rejected=1,
        what="unknown LA code",
    ),
    Case(
        "ofsted/duplicate_judgement.csv",
        text(
            OFSTED,
            GOOD_JUDGEMENT.replace("2014,Overall", "2014,Help"),
            GOOD_JUDGEMENT.replace("2014,Overall", "2014,Help"),
        ),
        "loaded",
        "duplicate judgement",
        rows_loaded=1,
        rows_rejected=1,
        what="duplicate key",
    ),
    Case(
        "ofsted/formula_injection.csv",
        text(
            OFSTED,
            *(
                GOOD_JUDGEMENT.replace("Single inspection", f"{p}cmd|' /C calc'!A0").replace(
                    "2014,Overall", f"2014,Area {i}"
                )
                for i, p in enumerate("=+-@")
            ),
        ),
        "loaded",
        rows_loaded=4,
        rows_rejected=0,
        what="cells beginning = + - @ (kept as text)",
    ),
    Case(
        "ofsted/huge_cell.csv",
        text(OFSTED, GOOD_JUDGEMENT.replace("Single inspection", "x" * 10_000_000)),
        "rejected",
        "longer than",
        rows_loaded=0,
        rows_rejected=1,
        what="a 10 MB single cell",
    ),
    # --- case_audits/ --------------------------------------------------------------------------------------
    Case(
        "case_audits/header_only.csv", text(AUDITS), "loaded", rows_loaded=0, rows_rejected=0, what="audits header only"
    ),
    Case(
        "case_audits/missing_child_id.csv",
        text(AUDITS.replace("child_id,", ""), "A1,01/05/2012,North,CIN,Manager,Good,Good,N,Y"),
        "rejected",
        "child_id",
        what="audits without child_id",
    ),
    Case(
        "case_audits/audits_bad_rows.csv",
        text(
            AUDITS,
            f"C1,{SECRET_CHILD_IDS[0]},01/05/2012,North,CIN,Manager,Good,Good,N,Y",
            f"C2,{SECRET_CHILD_IDS[1]},31/04/2012,North,CIN,Manager,Good,Good,N,Y",
            f"C3,{SECRET_CHILD_IDS[2]},02/05/2012,North,XYZ,Manager,Good,Good,N,Y",
            f"C4,{SECRET_CHILD_IDS[3]},03/05/2012,North,CP,Manager,Brilliant,Good,N,Y",
            f"C1,{SECRET_CHILD_IDS[0]},04/05/2012,North,CP,Manager,Good,Good,N,Y",
            f"C5,{SECRET_CHILD_IDS[1]},05/05/2099,North,CP,Manager,Good,Good,N,Y",
        ),
        "loaded",
        "case type",
        rows_loaded=1,
        rows_rejected=5,
        what="impossible date, unknown case type and grade, duplicate audit_id, future audit",
    ),
    Case(
        "case_audits/actions.csv",
        text(
            ACTIONS,
            'X1,C1,Increase visits,North,01/06/2012,20/05/2012,=HYPERLINK("http://example.invalid")',
            "X2,NO-SUCH-AUDIT,Other,North,01/06/2012,,free text about a child",
            "X3,C1,Other,North,01/06/2012,30/04/2012,completed before the audit",
        ),
        "loaded",
        "before",
        rows_loaded=1,
        rows_rejected=2,
        what="an action whose audit does not exist, an action completed before its audit",
    ),
    Case(
        "case_audits/windows_1252_audits.csv",
        text(AUDITS, f"C9,{SECRET_CHILD_IDS[2]},06/05/2012,Équipe Sud – Café,CLA,IRO,Good,Good,N,", encoding="cp1252"),
        "loaded",
        rows_loaded=1,
        rows_rejected=0,
        what="Windows-1252 team name",
    ),
    # --- ssda903/ ------------------------------------------------------------------------------------------
    Case(
        "ssda903/2012/episodes_bad_rows.csv",
        text(
            EPISODES,
            f"{SECRET_CHILD_IDS[3]},01/05/2011,S,C2,N1,U1,PR1,01/03/2011,E3,,,,",
            f"{SECRET_CHILD_IDS[3]},02/05/2011,Q,C2,N1,U1,PR1,,,,,,",
            f"{SECRET_CHILD_IDS[3]},30/02/2011,S,C2,N1,U1,PR1,,,,,,",
        ),
        "rejected",
        rows_loaded=0,
        rows_rejected=3,
        what="DEC before DECOM, unknown RNE, impossible DECOM",
    ),
    Case(
        "ssda903/2012/episodes_missing_decom.csv",
        text(EPISODES.replace("DECOM,", ""), f"{SECRET_CHILD_IDS[0]},S,C2,N1,U1,PR1,,,,,,"),
        "rejected",
        "DECOM",
        what="episodes without DECOM",
    ),
    Case(
        "ssda903/2012/truncated.xml",
        b"<?xml version='1.0' encoding='us-ascii'?><EXPSSDA903><CHILD><CHILDID>" + SECRET_CHILD_IDS[1].encode(),
        "rejected",
        "XML",
        what="truncated XML",
    ),
    Case(
        "ssda903/2012/other_root.xml",
        b"<?xml version='1.0'?><Return><Child/></Return>",
        "rejected",
        "EXPSSDA903",
        what="XML that is not an SSDA903 return",
    ),
    Case(
        "ssda903/loose_episodes.csv",
        text(EPISODES, f"{SECRET_CHILD_IDS[2]},01/05/2011,S,C2,N1,U1,PR1,,,,,,"),
        "rejected",
        "year",
        what="a return outside a year folder",
    ),
    # --- school_absence/ and school_exclusions/ -------------------------------------------------------------
    Case(
        "school_exclusions/negative_and_over_100.csv",
        text(EES, EES_ENGLAND + ",100,-3,0.5", EES_WILTS + ",100,5,150"),
        "loaded",
        rows_loaded=2,
        what="a negative count and a rate over 100 (the cells are quarantined)",
    ),
    Case(
        "school_exclusions/no_time_period.csv",
        text(EES.replace("time_period,", "year_code,"), EES_ENGLAND + ",100,3,0.5"),
        "rejected",
        "time_period",
        what="EES file without time_period",
    ),
    Case(
        "school_exclusions/legacy_symbols.csv",
        text(EES, EES_ENGLAND + ",100,:,~", EES_WILTS + ",100,..,-"),
        "loaded",
        rows_loaded=2,
        rows_rejected=0,
        what="legacy symbols : ~ .. -",
    ),
    Case(
        "school_exclusions/pre_ees_unknown_name.csv",
        text(
            '"year","level","la_name","school_type","num_schools","headcount","perm_excl","perm_excl_rate"',
            '"201011","Local authority","Atlantis","Secondary","1","100","0","0"',
            '"201011","Local authority","Bristol City of","Secondary","1","100","0","0"',
        ),
        "loaded",
        "Atlantis",
        rows_loaded=1,
        rows_rejected=1,
        what="pre-EES series with an unknown LA name",
    ),
    Case(
        "school_absence/semicolon_utf16.csv",
        "\ufeff".encode("utf-16-le")
        + text(
            EES.replace(",", ";").replace("perm_excl;perm_excl_rate", "sess_overall_percent;enrolments"),
            EES_ENGLAND.replace(",", ";") + ";100;4.5;1000",
            encoding="utf-16-le",
        ),
        "loaded",
        rows_loaded=1,
        rows_rejected=0,
        what="UTF-16 with semicolons",
    ),
    Case(
        "school_absence/not_statistics.csv", text("name,colour", "apple,green"), "rejected", "", what="an unrelated CSV"
    ),
    # --- adoption_scorecards/ and reference/ ----------------------------------------------------------------
    Case(
        "adoption_scorecards/bad_indicator.csv",
        text(SCORECARD, "2012,National,E92000001,,,,,A1,600", "2012,National,E92000001,,,,,A9,600"),
        "loaded",
        "A9",
        rows_loaded=1,
        rows_rejected=1,
        what="unknown scorecard indicator",
    ),
    Case(
        "reference/unrecognised.csv",
        text("code,description", "1,one"),
        "rejected",
        "not a reference list",
        what="an unrecognised reference file",
    ),
)
