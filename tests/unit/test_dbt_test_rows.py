"""dbt test results as quality.check_results rows: a test of severity 'warn' that finds rows is a warning."""

from pipelines.defs.transform import _test_rows


def test_a_warn_severity_test_is_recorded_as_a_warning_and_a_failure_as_an_error():
    results = {
        "results": [
            {
                "unique_id": "test.children_services.assert_la_successions_cover_the_reference_list",
                "status": "warn",
                "failures": 2,
                "message": "Got 2 results, configured to warn if != 0",
            },
            {
                "unique_id": "test.children_services.not_null_x_y.abc",
                "status": "fail",
                "failures": 1,
                "message": "Got 1",
            },
            {"unique_id": "test.children_services.unique_x_y.def", "status": "pass", "failures": 0, "message": None},
            {"unique_id": "model.children_services.x", "status": "success"},
        ]
    }
    assert _test_rows(results) == [
        (
            "dbt: assert_la_successions_cover_the_reference_list",
            False,
            "WARN",
            "2 failing row(s); Got 2 results, configured to warn if != 0",
        ),
        ("dbt: not_null_x_y", False, "ERROR", "1 failing row(s); Got 1"),
        ("dbt: unique_x_y", True, "ERROR", "pass"),
    ]
