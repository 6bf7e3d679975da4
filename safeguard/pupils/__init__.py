"""Pupils: the children concerns are about, imported from the school's MIS."""
