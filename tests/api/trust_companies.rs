//! Company confidentiality: public sign-up, invitations, pending contacts, confidential requests.
