ALTER TABLE booking_usages DROP COLUMN learner_statuses;
ALTER TABLE booking_usages DROP COLUMN research_headcount;
ALTER TABLE booking_usages DROP COLUMN company_headcount;
ALTER TABLE booking_usages DROP COLUMN higher_education_headcount;
ALTER TABLE booking_usages DROP COLUMN continuing_education_headcount;
ALTER TABLE booking_usages DROP COLUMN apprentice_headcount;
ALTER TABLE booking_usages DROP COLUMN school_headcount;
