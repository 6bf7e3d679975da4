"""The landing page each role starts from."""
