"""Accounts: users, roles, sign-in and sign-out."""
