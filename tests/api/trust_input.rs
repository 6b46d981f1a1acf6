//! Hostile input: NUL characters, money overflow, usage times, CSV cells, security headers.
