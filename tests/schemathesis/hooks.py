"""Checks of our own for Schemathesis, loaded by schemathesis.toml (`hooks`).

A read that the document says is well formed must be answered. The only refusals of such a
read are the rules that tie several query parameters together, which OpenAPI cannot say:
each is listed here with its operation, and a 422 on schema-valid data must consist of
these errors alone. Any other refusal of a schema-valid read still fails the run.
"""

import schemathesis

# (method, path) -> the (field, code) errors a schema-valid request may meet there.
CROSS_PARAMETER_RULES = {
    ("GET", "/api/v1/availability"): {
        # Neither `platform_id` nor `equipment_id`.
        ("platform_id", "required"),
        # `to` more than 62 days after `from`.
        ("to", "period_too_long"),
    },
    ("GET", "/api/v1/reports/usage"): {
        # `school_year` together with `from` or `to`.
        ("school_year", "conflicting_values"),
        # `from` without `to`, or `to` without `from`.
        ("from", "required"),
        ("to", "required"),
        # `from` and `to` more than 1,098 days apart.
        ("to", "period_too_long"),
    },
}


@schemathesis.check
def refusals_of_valid_reads_are_cross_parameter_rules(ctx, response, case):
    rules = CROSS_PARAMETER_RULES.get((case.method.upper(), case.operation.path))
    if rules is None or response.status_code != 422:
        return None
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    try:
        errors = {(e["field"], e["code"]) for e in response.json().get("errors", [])}
    except Exception:
        errors = set()
    unexpected = errors - rules
    if not errors or unexpected:
        raise AssertionError(
            "A schema-valid read was refused for a reason other than its cross-parameter "
            f"rules {sorted(rules)}: {sorted(unexpected) or 'no errors listed'}"
        )
    return None
