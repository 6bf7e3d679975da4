"""Confidentiality tiers: who may see a restricted or sealed concern or child's file, case teams, emergency access
("break glass"), who has seen a record, and the quick exit."""
