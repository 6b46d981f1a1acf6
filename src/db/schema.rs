// Written by hand to match migrations/{postgres,sqlite}: both backends share these types.

diesel::table! {
    campuses (id) {
        id -> Text,
        name -> Text,
        timezone -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    organisations (id) {
        id -> Text,
        name -> Text,
        kind -> Text,
        town -> Nullable<Text>,
        uai -> Nullable<Text>,
        siret -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    campus_memberships (campus_id, organisation_id) {
        campus_id -> Text,
        organisation_id -> Text,
    }
}

diesel::table! {
    platforms (id) {
        id -> Text,
        campus_id -> Text,
        owner_organisation_id -> Text,
        name -> Text,
        domain -> Text,
        description -> Text,
        town -> Nullable<Text>,
        stations -> Integer,
        who_may_book -> Text,
        outside_requires_approval -> Bool,
        min_notice_hours -> Integer,
        max_horizon_days -> Integer,
        max_duration_minutes -> Integer,
        created_at -> BigInt,
        updated_at -> BigInt,
        bookers_record_usage -> Bool,
    }
}

diesel::table! {
    platform_opening_intervals (id) {
        id -> Text,
        platform_id -> Text,
        weekday -> SmallInt,
        opens_minute -> Integer,
        closes_minute -> Integer,
    }
}

diesel::table! {
    qualifications (id) {
        id -> Text,
        name -> Text,
        description -> Text,
        validity_months -> Nullable<Integer>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    equipment (id) {
        id -> Text,
        platform_id -> Text,
        name -> Text,
        kind -> Text,
        manufacturer -> Nullable<Text>,
        model -> Nullable<Text>,
        serial_number -> Nullable<Text>,
        inventory_number -> Nullable<Text>,
        status -> Text,
        hourly_rate_cents -> Nullable<BigInt>,
        notes -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    equipment_qualifications (equipment_id, qualification_id) {
        equipment_id -> Text,
        qualification_id -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        display_name -> Text,
        password_hash -> Text,
        role -> Text,
        organisation_id -> Text,
        active -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
        awaiting_approval -> Bool,
        locale -> Text,
    }
}

diesel::table! {
    platform_managers (platform_id, user_id) {
        platform_id -> Text,
        user_id -> Text,
    }
}

diesel::table! {
    user_qualifications (id) {
        id -> Text,
        user_id -> Text,
        qualification_id -> Text,
        awarded_on -> Date,
        expires_on -> Nullable<Date>,
        created_at -> BigInt,
        awarded_by -> Nullable<Text>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        user_id -> Text,
        family_id -> Text,
        token_hash -> Text,
        expires_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    web_sessions (id) {
        id -> Text,
        user_id -> Text,
        id_hash -> Text,
        created_at -> BigInt,
        last_seen_at -> BigInt,
        expires_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
        user_agent -> Nullable<Text>,
    }
}

diesel::table! {
    idempotency_records (scope, idempotency_key) {
        scope -> Text,
        idempotency_key -> Text,
        request_hash -> Text,
        status_code -> Nullable<Integer>,
        content_type -> Nullable<Text>,
        location -> Nullable<Text>,
        body -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        at -> BigInt,
        actor_user_id -> Nullable<Text>,
        entity_type -> Text,
        entity_id -> Text,
        action -> Text,
        changes -> Text,
    }
}

diesel::table! {
    closures (id) {
        id -> Text,
        scope -> Text,
        scope_id -> Text,
        name -> Text,
        starts_at -> BigInt,
        ends_at -> BigInt,
        source_uid -> Nullable<Text>,
        created_by -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    maintenance_windows (id) {
        id -> Text,
        equipment_id -> Text,
        starts_at -> BigInt,
        ends_at -> BigInt,
        reason -> Text,
        created_by -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    booking_series (id) {
        id -> Text,
        rrule -> Text,
        mode -> Text,
        platform_id -> Text,
        equipment_id -> Nullable<Text>,
        booker_id -> Text,
        organisation_id -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    booking_series_skips (id) {
        id -> Text,
        series_id -> Text,
        starts_at -> BigInt,
        ends_at -> BigInt,
        code -> Text,
        reason -> Text,
    }
}

diesel::table! {
    bookings (id) {
        id -> Text,
        platform_id -> Text,
        equipment_id -> Nullable<Text>,
        stations -> Nullable<Integer>,
        starts_at -> BigInt,
        ends_at -> BigInt,
        status -> Text,
        booker_id -> Text,
        organisation_id -> Text,
        supervisor_id -> Nullable<Text>,
        group_label -> Text,
        level -> Text,
        purpose -> Text,
        service_request_id -> Nullable<Text>,
        series_id -> Nullable<Text>,
        status_reason -> Nullable<Text>,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
        recorded_after_the_fact -> Bool,
        sequence -> Integer,
    }
}

diesel::table! {
    booking_learners (booking_id, learner_status) {
        booking_id -> Text,
        learner_status -> Text,
        headcount -> Integer,
    }
}

diesel::table! {
    calendar_tokens (id) {
        id -> Text,
        user_id -> Text,
        feed -> Text,
        target_id -> Text,
        token_hash -> Text,
        created_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    service_requests (id) {
        id -> Text,
        company_id -> Text,
        contact_user_id -> Nullable<Text>,
        title -> Text,
        description -> Text,
        domains -> Text,
        requested_platform_id -> Nullable<Text>,
        assigned_platform_id -> Nullable<Text>,
        assignee_id -> Nullable<Text>,
        wished_from -> Nullable<Date>,
        wished_to -> Nullable<Date>,
        budget_cents -> Nullable<BigInt>,
        confidential -> Bool,
        links -> Text,
        state -> Text,
        agreement_reference -> Nullable<Text>,
        agreement_signed_on -> Nullable<Date>,
        delivery_note -> Nullable<Text>,
        invoice_reference -> Nullable<Text>,
        invoice_amount_cents -> Nullable<BigInt>,
        state_reason -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    quotes (id) {
        id -> Text,
        request_id -> Text,
        version -> Integer,
        status -> Text,
        valid_until -> Date,
        total_excl_vat_cents -> BigInt,
        total_vat_cents -> BigInt,
        total_incl_vat_cents -> BigInt,
        created_by -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    quote_lines (id) {
        id -> Text,
        quote_id -> Text,
        position -> Integer,
        label -> Text,
        quantity_milli -> BigInt,
        unit -> Text,
        unit_price_cents -> BigInt,
        vat_rate_bp -> Integer,
        total_excl_vat_cents -> BigInt,
        vat_cents -> BigInt,
    }
}

diesel::table! {
    service_request_messages (id) {
        id -> Text,
        request_id -> Text,
        author_id -> Nullable<Text>,
        visibility -> Text,
        body -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    service_request_events (id) {
        id -> Text,
        request_id -> Text,
        at -> BigInt,
        actor_id -> Nullable<Text>,
        kind -> Text,
        action -> Text,
        from_state -> Nullable<Text>,
        to_state -> Nullable<Text>,
        internal -> Bool,
        details -> Text,
    }
}

diesel::table! {
    account_confirmations (id) {
        id -> Text,
        user_id -> Text,
        token_hash -> Text,
        expires_at -> BigInt,
        consumed_at -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    booking_usages (booking_id) {
        booking_id -> Text,
        no_show -> Bool,
        actual_start -> Nullable<BigInt>,
        actual_end -> Nullable<BigInt>,
        consumables -> Text,
        incident -> Bool,
        incident_note -> Text,
        recorded_by -> Nullable<Text>,
        recorded_at -> BigInt,
        updated_at -> BigInt,
        school_headcount -> Integer,
        apprentice_headcount -> Integer,
        continuing_education_headcount -> Integer,
        higher_education_headcount -> Integer,
        company_headcount -> Integer,
        research_headcount -> Integer,
        learner_statuses -> Integer,
    }
}

diesel::table! {
    booking_usage_learners (booking_id, learner_status) {
        booking_id -> Text,
        learner_status -> Text,
        headcount -> Integer,
    }
}

diesel::table! {
    booking_usage_equipment (booking_id, equipment_id) {
        booking_id -> Text,
        equipment_id -> Text,
        machine_minutes -> Integer,
    }
}

diesel::table! {
    outbox_messages (id) {
        id -> Text,
        kind -> Text,
        user_id -> Nullable<Text>,
        recipient -> Text,
        locale -> Text,
        subject -> Text,
        payload -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at_ms -> BigInt,
        lease_id -> Nullable<Text>,
        leased_until_ms -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
        sent_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    notification_opt_outs (user_id, kind) {
        user_id -> Text,
        kind -> Text,
    }
}

diesel::table! {
    password_resets (id) {
        id -> Text,
        user_id -> Text,
        token_hash -> Text,
        expires_at -> BigInt,
        consumed_at -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    notification_sends (kind, subject_id, user_id, day) {
        kind -> Text,
        subject_id -> Text,
        user_id -> Text,
        day -> Date,
        created_at -> BigInt,
    }
}

diesel::table! {
    rate_limit_hits (scope, client_key, window_start) {
        scope -> Text,
        client_key -> Text,
        window_start -> BigInt,
        expires_at -> BigInt,
        hits -> BigInt,
    }
}

diesel::table! {
    login_failures (account_key) {
        account_key -> Text,
        failures -> BigInt,
        last_failure_at -> BigInt,
        forget_at -> BigInt,
    }
}

diesel::joinable!(campus_memberships -> campuses (campus_id));
diesel::joinable!(campus_memberships -> organisations (organisation_id));
diesel::joinable!(platforms -> campuses (campus_id));
diesel::joinable!(platforms -> organisations (owner_organisation_id));
diesel::joinable!(platform_opening_intervals -> platforms (platform_id));
diesel::joinable!(equipment -> platforms (platform_id));
diesel::joinable!(equipment_qualifications -> equipment (equipment_id));
diesel::joinable!(equipment_qualifications -> qualifications (qualification_id));
diesel::joinable!(users -> organisations (organisation_id));
diesel::joinable!(platform_managers -> platforms (platform_id));
diesel::joinable!(platform_managers -> users (user_id));
diesel::joinable!(user_qualifications -> users (user_id));
diesel::joinable!(user_qualifications -> qualifications (qualification_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(web_sessions -> users (user_id));
diesel::joinable!(maintenance_windows -> equipment (equipment_id));
diesel::joinable!(booking_series_skips -> booking_series (series_id));
diesel::joinable!(bookings -> platforms (platform_id));
diesel::joinable!(bookings -> equipment (equipment_id));
diesel::joinable!(bookings -> organisations (organisation_id));
diesel::joinable!(bookings -> booking_series (series_id));
diesel::joinable!(booking_learners -> bookings (booking_id));
diesel::joinable!(calendar_tokens -> users (user_id));
diesel::joinable!(account_confirmations -> users (user_id));
diesel::joinable!(quotes -> service_requests (request_id));
diesel::joinable!(quote_lines -> quotes (quote_id));
diesel::joinable!(service_request_messages -> service_requests (request_id));
diesel::joinable!(service_request_events -> service_requests (request_id));
diesel::joinable!(outbox_messages -> users (user_id));
diesel::joinable!(notification_opt_outs -> users (user_id));
diesel::joinable!(password_resets -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    campuses,
    organisations,
    campus_memberships,
    platforms,
    platform_opening_intervals,
    qualifications,
    equipment,
    equipment_qualifications,
    users,
    platform_managers,
    user_qualifications,
    refresh_tokens,
    web_sessions,
    idempotency_records,
    audit_events,
    closures,
    maintenance_windows,
    booking_series,
    booking_series_skips,
    bookings,
    booking_learners,
    calendar_tokens,
    service_requests,
    quotes,
    quote_lines,
    service_request_messages,
    service_request_events,
    account_confirmations,
    booking_usages,
    booking_usage_learners,
    booking_usage_equipment,
    outbox_messages,
    notification_opt_outs,
    password_resets,
    notification_sends,
    rate_limit_hits,
    login_failures,
);
