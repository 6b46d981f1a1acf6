//! Sessions: refresh tokens used at once, password changes, deactivation.
