"""Authentication, roles policy, province scoping and HTTP security headers."""
