"""Enrollment and verification flows as plain state machines, and the message catalog."""
