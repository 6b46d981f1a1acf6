"""Checks of our own for Schemathesis, loaded by schemathesis.toml (`hooks`).

A read that the document says is well formed must be answered. The only refusals of such a
read are the rules that tie several query parameters together, which OpenAPI cannot say:
each is listed here with its operation, and a 422 on schema-valid data must consist of
these errors alone. Any other refusal of a schema-valid read still fails the run.

A write may refuse schema-valid data only on a business rule: a date in the past, a reference
that does not exist, a conflict, a state that forbids it, a rule between several fields that
OpenAPI cannot say. 409 and 404 are such refusals by their nature; a 422 must carry only the
codes listed here (`BUSINESS_PROBLEMS`, `BUSINESS_FIELD_CODES`, or the operation's own
`CROSS_FIELD_RULES`). A refusal for the shape of a value (`invalid_format`, `out_of_range`,
`too_long`, a blank `required`, …) means the document allows what the service refuses: the
document or the service is wrong, and the run fails.
"""

import re

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


# Problem codes (`code`) of a 422 that are business rules of their own: the booking rules
# against the calendar and the platform's policy, the content of a calendar file, a key
# already used for another request.
BUSINESS_PROBLEMS = {
    "in_the_past",
    "notice_too_short",
    "beyond_horizon",
    "duration_too_long",
    "outside_opening_hours",
    "qualification_missing",
    # The end of a booking before its start: two fields together.
    "invalid_time_range",
    # An uploaded calendar that is not iCalendar: its content, not its JSON shape.
    "invalid_calendar",
    "idempotency_key_reused",
}

# Field codes of `validation_failed` that are business rules wherever they occur.
BUSINESS_FIELD_CODES = {
    # A reference to nothing, or to what the caller cannot see.
    "unknown_reference",
    # Dates against today.
    "in_future",
    "in_past",
    "not_yet_past",
    # What the referenced records allow: a company that is not one, a person who is not a
    # member, a request that cannot be scheduled, a role that does not fit the organisation,
    # a booking the record does not belong to, what the caller's role may not set.
    "not_a_company",
    "not_a_member",
    "not_schedulable",
    "mismatch",
    "role_mismatch",
    "not_allowed",
    "outside_booking",
    # An administrator removing their own access; a notification that may not be muted.
    "self_lockout",
    "cannot_be_turned_off",
    # A token or a password that is not the right one.
    "invalid_token",
    "incorrect",
    # Rules between several fields or items, which JSON Schema cannot say: an end before its
    # start, a period too long, two items for the same thing, overlapping opening hours, a
    # quote whose total exceeds what the service keeps, two ways of saying the same thing.
    "before_start",
    "period_too_long",
    "duplicate",
    "overlap",
    "amount_too_large",
    "conflicting_values",
}

# (method, path) -> the (field, code) errors of a rule between fields that a schema-valid
# write may meet there besides `BUSINESS_FIELD_CODES` (`[]` stands for any index).
CROSS_FIELD_RULES = {
    ("POST", "/api/v1/bookings"): {
    # A booking is of an equipment item or of stations of a platform: one of them.
    ("platform_id", "required"),
    ("stations", "required"),
    },
    ("POST", "/api/v1/booking-series"): {
    # A booking is of an equipment item or of stations of a platform: one of them.
    ("platform_id", "required"),
    ("stations", "required"),
        # The recurrence rule (RFC 5545), a grammar of its own read against the first
        # occurrence.
        ("rrule", "invalid_rrule"),
    },
    ("POST", "/api/v1/booking-series/preview"): {
        # As for creating the series, which it previews.
        ("platform_id", "required"),
        ("stations", "required"),
        ("rrule", "invalid_rrule"),
    },
    ("POST", "/api/v1/past-sessions"): {
    # A booking is of an equipment item or of stations of a platform: one of them.
    ("platform_id", "required"),
    ("stations", "required"),
        ("booking.platform_id", "required"),
        ("booking.stations", "required"),
        # The real times, unless nobody came (`no_show`).
        ("usage.actual_start", "required"),
        # An incident is described.
        ("usage.incident_note", "required"),
    },
    ("PATCH", "/api/v1/bookings/{id}"): {
        # The start and the end move together.
        ("starts_at", "required"),
        ("ends_at", "required"),
    },
    # Rejecting or cancelling says why (the body is the same as to approve).
    ("POST", "/api/v1/bookings/{id}/reject"): {("reason", "required")},
    ("POST", "/api/v1/bookings/{id}/cancel"): {("reason", "required")},
    ("PUT", "/api/v1/bookings/{id}/usage"): {
        ("actual_start", "required"),
        ("incident_note", "required"),
    },
    ("POST", "/api/v1/usage-records"): {
        ("records[].actual_start", "required"),
        ("records[].incident_note", "required"),
    },
    # Every feed but one's own bookings names its platform or equipment item.
    ("POST", "/api/v1/calendar-tokens"): {("target_id", "required")},
    # A company has a SIRET; the UAI and SIRET carry a check key (Luhn for the SIRET), which
    # a pattern cannot say.
    ("POST", "/api/v1/organisations"): {
        ("siret", "required"),
        ("siret", "invalid_format"),
        ("uai", "invalid_format"),
    },
    ("PATCH", "/api/v1/organisations/{id}"): {
        ("siret", "required"),
        ("siret", "invalid_format"),
        ("uai", "invalid_format"),
    },
    ("POST", "/api/v1/public/service-requests"): {("siret", "invalid_format")},
    # Staff ask for a company, which they name.
    ("POST", "/api/v1/service-requests"): {("company_id", "required")},
    # Each action needs its own fields: `take` a platform, `accept` and `decline` the quote
    # version, `sign_agreement` its reference and date, `deliver` a note, `invoice` a
    # reference and an amount, `reject` a reason.
    ("POST", "/api/v1/service-requests/{id}/transitions"): {
        ("platform_id", "required"),
        ("quote_version", "required"),
        ("agreement_reference", "required"),
        ("signed_on", "required"),
        ("delivery_note", "required"),
        ("invoice_reference", "required"),
        ("amount_cents", "required"),
        ("reason", "required"),
    },
    # A new password is given with the current one.
    ("PATCH", "/api/v1/me"): {("current_password", "required")},
    # A quantity has at most three decimals (1.5 hours, 0.125 kg). `multipleOf: 0.001` would
    # say it, but over binary floating point it refuses quantities such as 0.3 that have
    # three decimals (0.3 / 0.001 is not a whole number in binary), so the document says it
    # in words and the service checks it to the thousandth.
    ("POST", "/api/v1/service-requests/{id}/quotes"): {("lines[].quantity", "invalid_value")},
}

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


@schemathesis.check
def refusals_of_valid_writes_are_business_rules(ctx, response, case):
    method = case.method.upper()
    if method not in WRITES or response.status_code != 422:
        return None
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    try:
        problem = response.json()
    except Exception:
        problem = {}
    code = problem.get("code")
    if code in BUSINESS_PROBLEMS:
        return None
    rules = CROSS_FIELD_RULES.get((method, case.operation.path), set())
    errors = {
        (re.sub(r"\[\d+\]", "[]", str(e.get("field"))), e.get("code"))
        for e in problem.get("errors", [])
    }
    unexpected = {
        (field, error_code)
        for field, error_code in errors
        if error_code not in BUSINESS_FIELD_CODES and (field, error_code) not in rules
    }
    if code != "validation_failed" or not errors or unexpected:
        raise AssertionError(
            f"A schema-valid write was refused for a reason that is not a business rule: "
            f"{code} {sorted(unexpected) or 'no errors listed'}"
        )
    return None
