-- The recorded headcount by learner status, also on the usage record itself: reports then
-- read each session once instead of joining its learners. The service writes both in the
-- same transaction; booking_usage_learners stays the record's detail.
ALTER TABLE booking_usages ADD COLUMN school_headcount INTEGER NOT NULL DEFAULT 0 CHECK (school_headcount >= 0);
ALTER TABLE booking_usages ADD COLUMN apprentice_headcount INTEGER NOT NULL DEFAULT 0 CHECK (apprentice_headcount >= 0);
ALTER TABLE booking_usages ADD COLUMN continuing_education_headcount INTEGER NOT NULL DEFAULT 0 CHECK (continuing_education_headcount >= 0);
ALTER TABLE booking_usages ADD COLUMN higher_education_headcount INTEGER NOT NULL DEFAULT 0 CHECK (higher_education_headcount >= 0);
ALTER TABLE booking_usages ADD COLUMN company_headcount INTEGER NOT NULL DEFAULT 0 CHECK (company_headcount >= 0);
ALTER TABLE booking_usages ADD COLUMN research_headcount INTEGER NOT NULL DEFAULT 0 CHECK (research_headcount >= 0);
-- How many learner statuses were recorded: more than one makes a mixed session.
ALTER TABLE booking_usages ADD COLUMN learner_statuses INTEGER NOT NULL DEFAULT 0 CHECK (learner_statuses BETWEEN 0 AND 6);

UPDATE booking_usages SET
    school_headcount = COALESCE((SELECT headcount FROM booking_usage_learners l
        WHERE l.booking_id = booking_usages.booking_id AND l.learner_status = 'school'), 0),
    apprentice_headcount = COALESCE((SELECT headcount FROM booking_usage_learners l
        WHERE l.booking_id = booking_usages.booking_id AND l.learner_status = 'apprentice'), 0),
    continuing_education_headcount = COALESCE((SELECT headcount FROM booking_usage_learners l
        WHERE l.booking_id = booking_usages.booking_id AND l.learner_status = 'continuing_education'), 0),
    higher_education_headcount = COALESCE((SELECT headcount FROM booking_usage_learners l
        WHERE l.booking_id = booking_usages.booking_id AND l.learner_status = 'higher_education'), 0),
    company_headcount = COALESCE((SELECT headcount FROM booking_usage_learners l
        WHERE l.booking_id = booking_usages.booking_id AND l.learner_status = 'company'), 0),
    research_headcount = COALESCE((SELECT headcount FROM booking_usage_learners l
        WHERE l.booking_id = booking_usages.booking_id AND l.learner_status = 'research'), 0),
    learner_statuses = (SELECT COUNT(*) FROM booking_usage_learners l
        WHERE l.booking_id = booking_usages.booking_id);
