"""Trusts: schools grouped under one trust, the trust safeguarding lead's dashboard of numbers, the access a school
grants the trust lead to its records, and concerns linked across the schools of one trust."""
