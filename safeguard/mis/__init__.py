"""Pupils and staff from the school's management information system (MIS): pushed batches and a broker's pages."""
