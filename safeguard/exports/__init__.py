"""Exports: PDF documents for outside agencies, each logged so that it can be verified later."""
